import { AwsFault } from './aws-fault.js';
import type { AutoScalingWorld } from './auto-scaling-world.js';
import type { QueryParams } from './query-params.js';
import { XmlList, type XmlFields } from './query-xml.js';
import {
  type FakeGroup,
  type FakeInstance,
  type FakeLifecycleHook,
  LIFECYCLE_RESULTS,
  LIFECYCLE_TRANSITIONS,
  POOL_STATES,
  isInWarmPool,
} from './world-types.js';

/** One Query API action: reads its parameters, acts on the world, returns the `<XResult>` fields (undefined: none). */
export type ActionHandler = (world: AutoScalingWorld, params: QueryParams) => XmlFields | undefined;

const NAME = { maxLength: 255 };

function instanceXml(inst: FakeInstance): XmlFields {
  return {
    InstanceId: inst.instanceId,
    InstanceType: inst.instanceType,
    AvailabilityZone: inst.availabilityZone,
    LifecycleState: inst.lifecycleState,
    HealthStatus: inst.healthStatus,
    LaunchTemplate: {
      LaunchTemplateId: 'lt-0fake0000000000001',
      LaunchTemplateName: 'warmpool-model-server',
      Version: '1',
    },
    ProtectedFromScaleIn: false,
  };
}

function warmPoolXml(g: FakeGroup): XmlFields | undefined {
  const p = g.warmPool;
  if (!p) return undefined;
  return {
    MaxGroupPreparedCapacity: p.maxGroupPreparedCapacity,
    MinSize: p.minSize,
    PoolState: p.poolState,
    Status: p.status,
    InstanceReusePolicy: { ReuseOnScaleIn: p.reuseOnScaleIn },
  };
}

function groupXml(g: FakeGroup): XmlFields {
  const groupInstances = g.instances.filter((i) => !isInWarmPool(i.lifecycleState));
  const poolInstances = g.instances.filter((i) => isInWarmPool(i.lifecycleState));
  return {
    AutoScalingGroupName: g.name,
    AutoScalingGroupARN: `arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:00000000-0000-4000-8000-000000000000:autoScalingGroupName/${g.name}`,
    LaunchTemplate: {
      LaunchTemplateId: 'lt-0fake0000000000001',
      LaunchTemplateName: 'warmpool-model-server',
      Version: '1',
    },
    MinSize: g.minSize,
    MaxSize: g.maxSize,
    DesiredCapacity: g.desiredCapacity,
    DefaultCooldown: g.defaultCooldownS,
    AvailabilityZones: new XmlList([...g.availabilityZones]),
    LoadBalancerNames: new XmlList([]),
    TargetGroupARNs: new XmlList([]),
    HealthCheckType: g.healthCheckType,
    HealthCheckGracePeriod: 300,
    Instances: new XmlList(groupInstances.map(instanceXml)),
    CreatedTime: new Date(g.createdAtMs),
    SuspendedProcesses: new XmlList([]),
    EnabledMetrics: new XmlList([]),
    Tags: new XmlList([]),
    TerminationPolicies: new XmlList(['Default']),
    NewInstancesProtectedFromScaleIn: false,
    ServiceLinkedRoleARN:
      'arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling',
    WarmPoolConfiguration: warmPoolXml(g),
    WarmPoolSize: g.warmPool ? poolInstances.length : undefined,
  };
}

function hookXml(h: FakeLifecycleHook): XmlFields {
  return {
    LifecycleHookName: h.name,
    AutoScalingGroupName: h.groupName,
    LifecycleTransition: h.transition,
    NotificationTargetARN: h.notificationTargetArn,
    RoleARN: h.roleArn,
    NotificationMetadata: h.notificationMetadata,
    HeartbeatTimeout: h.heartbeatTimeoutS,
    GlobalTimeout: h.globalTimeoutS,
    DefaultResult: h.defaultResult,
  };
}

function page<T>(
  items: readonly T[],
  params: QueryParams,
  maxRecordsCap: number,
): { items: T[]; nextToken: string | undefined } {
  const max = params.optionalInt('MaxRecords', { min: 1, max: maxRecordsCap }) ?? maxRecordsCap;
  const tokenText = params.optionalString('NextToken', { maxLength: 1024 });
  const start = tokenText === undefined ? 0 : Number.parseInt(tokenText, 10);
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw AwsFault.validation(`Invalid NextToken: ${tokenText}`);
  const end = start + max;
  return { items: items.slice(start, end), nextToken: end < items.length ? String(end) : undefined };
}

export const ACTION_HANDLERS: Readonly<Record<string, ActionHandler>> = {
  DescribeAutoScalingGroups(world, params) {
    const groups = world.describeGroups(params.list('AutoScalingGroupNames'));
    const { items, nextToken } = page(groups, params, 100);
    return { AutoScalingGroups: new XmlList(items.map(groupXml)), NextToken: nextToken };
  },

  SetDesiredCapacity(world, params) {
    const name = params.string('AutoScalingGroupName', NAME);
    const desired = params.int('DesiredCapacity', { min: 0 });
    world.setDesiredCapacity(name, desired, params.optionalBoolean('HonorCooldown') ?? false);
    return undefined;
  },

  UpdateAutoScalingGroup(world, params) {
    const name = params.string('AutoScalingGroupName', NAME);
    world.updateGroup(name, {
      minSize: params.optionalInt('MinSize', { min: 0 }),
      maxSize: params.optionalInt('MaxSize', { min: 0 }),
      desiredCapacity: params.optionalInt('DesiredCapacity', { min: 0 }),
      defaultCooldownS: params.optionalInt('DefaultCooldown', { min: 0 }),
    });
    return undefined;
  },

  PutWarmPool(world, params) {
    const name = params.string('AutoScalingGroupName', NAME);
    world.putWarmPool(name, {
      minSize: params.optionalInt('MinSize', { min: 0 }),
      maxGroupPreparedCapacity: params.optionalInt('MaxGroupPreparedCapacity', { min: -1 }),
      poolState: params.optionalEnum('PoolState', POOL_STATES),
      reuseOnScaleIn: params.optionalBoolean('InstanceReusePolicy.ReuseOnScaleIn'),
    });
    return undefined;
  },

  DescribeWarmPool(world, params) {
    const g = world.group(params.string('AutoScalingGroupName', NAME));
    const pool = g.instances.filter((i) => isInWarmPool(i.lifecycleState));
    const { items, nextToken } = page(pool, params, 50);
    return {
      WarmPoolConfiguration: warmPoolXml(g),
      Instances: new XmlList(items.map(instanceXml)),
      NextToken: nextToken,
    };
  },

  DeleteWarmPool(world, params) {
    const name = params.string('AutoScalingGroupName', NAME);
    params.optionalBoolean('ForceDelete');
    world.deleteWarmPool(name);
    return undefined;
  },

  PutLifecycleHook(world, params) {
    const group = params.string('AutoScalingGroupName', NAME);
    const hook = params.string('LifecycleHookName', { maxLength: 255 });
    if (!/^[A-Za-z0-9\-_/]+$/.test(hook)) {
      throw AwsFault.validation(
        `1 validation error detected: Value '${hook}' at 'lifecycleHookName' failed to satisfy constraint: Member must satisfy regular expression pattern: [A-Za-z0-9\\-_\\/]+`,
      );
    }
    world.putLifecycleHook(group, hook, {
      transition: params.optionalEnum('LifecycleTransition', LIFECYCLE_TRANSITIONS),
      heartbeatTimeoutS: params.optionalInt('HeartbeatTimeout', { min: 30, max: 7200 }),
      defaultResult: params.optionalEnum('DefaultResult', LIFECYCLE_RESULTS),
      notificationMetadata: params.optionalString('NotificationMetadata', { maxLength: 1023 }),
      notificationTargetArn: params.optionalString('NotificationTargetARN', { maxLength: 1600 }),
      roleArn: params.optionalString('RoleARN', { maxLength: 1600 }),
    });
    return undefined;
  },

  DeleteLifecycleHook(world, params) {
    world.deleteLifecycleHook(params.string('AutoScalingGroupName', NAME), params.string('LifecycleHookName'));
    return undefined;
  },

  DescribeLifecycleHooks(world, params) {
    const hooks = world.describeLifecycleHooks(
      params.string('AutoScalingGroupName', NAME),
      params.list('LifecycleHookNames'),
    );
    return { LifecycleHooks: new XmlList(hooks.map(hookXml)) };
  },

  RecordLifecycleActionHeartbeat(world, params) {
    world.recordHeartbeat(
      params.string('AutoScalingGroupName', NAME),
      params.string('LifecycleHookName'),
      params.optionalString('LifecycleActionToken', { maxLength: 36 }),
      params.optionalString('InstanceId', { maxLength: 19 }),
    );
    return undefined;
  },

  TerminateInstanceInAutoScalingGroup(world, params) {
    const instanceId = params.string('InstanceId', { maxLength: 19 });
    const decrement = params.optionalBoolean('ShouldDecrementDesiredCapacity');
    if (decrement === undefined) {
      throw AwsFault.validation(
        `1 validation error detected: Value null at 'shouldDecrementDesiredCapacity' failed to satisfy constraint: Member must not be null`,
      );
    }
    const { group, instance } = world.terminateInstance(instanceId, decrement);
    return {
      Activity: {
        ActivityId: `a0c70000-0000-4000-8000-${instance.launchSeq.toString(16).padStart(12, '0')}`,
        AutoScalingGroupName: group.name,
        Description: `Terminating EC2 instance: ${instanceId}`,
        Cause: `At ${new Date().toISOString()} instance ${instanceId} was taken out of service in response to a user request${decrement ? ', shrinking the capacity' : ''}.`,
        StartTime: new Date(),
        StatusCode: 'InProgress',
        Progress: 0,
      },
    };
  },

  CompleteLifecycleAction(world, params) {
    world.completeAction(
      params.string('AutoScalingGroupName', NAME),
      params.string('LifecycleHookName'),
      params.enum('LifecycleActionResult', LIFECYCLE_RESULTS),
      params.optionalString('LifecycleActionToken', { maxLength: 36 }),
      params.optionalString('InstanceId', { maxLength: 19 }),
    );
    return undefined;
  },
};
