import {
  type AutoScalingClient,
  CompleteLifecycleActionCommand,
  DescribeLifecycleHooksCommand,
  RecordLifecycleActionHeartbeatCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  Backoff,
  type BackoffOptions,
  type Registrar,
  type ReplicaRegistration,
  ValidationError,
  type ValidationIssue,
} from '@warmpool/domain';
import { AwsCaller, type AwsRetryEvent } from './aws-caller.js';
import { type AutoScalingClientOptions, createAutoScalingClient } from './auto-scaling-client.js';
import { AwsErrorCode, AwsProviderError } from './errors/aws-provider-error.js';

const INSTANCE_ID = /^i-[0-9a-f]{8,17}$/;

export interface AwsLifecycleRegistrarOptions {
  /** The Auto Scaling group this instance belongs to. */
  readonly groupName: string;
  /** The launching lifecycle hook holding the instance in Pending:Wait. */
  readonly hookName: string;
  /** The EC2 instance id; default: the registration's replicaId. */
  readonly instanceId?: string;
  /** The lifecycle action token from the hook's notification, when the agent has it (else the instance id is used). */
  readonly lifecycleActionToken?: string;
  readonly client?: AutoScalingClient;
  readonly clientOptions?: AutoScalingClientOptions;
  readonly retry?: BackoffOptions;
  readonly onRetry?: (event: AwsRetryEvent) => void;
}

/**
 * Registrar for a replica on an EC2 instance of an Auto Scaling group: heartbeat() sends
 * RecordLifecycleActionHeartbeat while warming, register() completes the launching hook with
 * CONTINUE (the instance goes InService), fail() with ABANDON (it is terminated and replaced).
 * When AWS answers that there is no open lifecycle action, it looks the hook up to say why: the
 * hook (or group) is gone, or the action was completed or timed out.
 */
export class AwsLifecycleRegistrar implements Registrar {
  readonly name = 'aws-lifecycle';
  private readonly options: AwsLifecycleRegistrarOptions;
  private readonly client: AutoScalingClient;
  private readonly ownsClient: boolean;
  private readonly caller: AwsCaller;

  constructor(options: AwsLifecycleRegistrarOptions) {
    const issues: ValidationIssue[] = [];
    if (typeof options.groupName !== 'string' || options.groupName.length === 0 || options.groupName.length > 255) {
      issues.push({
        path: 'groupName',
        value: options.groupName,
        allowed: 'an Auto Scaling group name of 1-255 characters',
      });
    }
    if (typeof options.hookName !== 'string' || !/^[A-Za-z0-9\-_/]{1,255}$/.test(options.hookName)) {
      issues.push({
        path: 'hookName',
        value: options.hookName,
        allowed: 'a hook name of 1-255 characters: A-Z, a-z, 0-9, "-", "_", "/"',
      });
    }
    if (options.instanceId !== undefined && !INSTANCE_ID.test(options.instanceId)) {
      issues.push({
        path: 'instanceId',
        value: options.instanceId,
        allowed: 'an EC2 instance id like i-0123456789abcdef0',
      });
    }
    if (issues.length > 0) throw new ValidationError(issues, 'AWS lifecycle registrar options');
    this.options = options;
    this.caller = new AwsCaller(new Backoff(options.retry, 'AWS retry options'), options.onRetry);
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createAutoScalingClient(options.clientOptions);
  }

  async heartbeat(registration: ReplicaRegistration): Promise<void> {
    const target = this.target(registration);
    await this.onAction('RecordLifecycleActionHeartbeat', target, () =>
      this.caller.call(this.options.groupName, 'RecordLifecycleActionHeartbeat', () =>
        this.client.send(new RecordLifecycleActionHeartbeatCommand({ ...this.base(), ...target })),
      ),
    );
  }

  async register(registration: ReplicaRegistration): Promise<void> {
    await this.complete(registration, 'CONTINUE');
  }

  async fail(registration: ReplicaRegistration, _reason: string): Promise<void> {
    await this.complete(registration, 'ABANDON');
  }

  /**
   * Nothing to do on AWS: traffic stops when the group terminates or detaches the instance
   * (its load balancer deregistration is the group's), and the launching hook is long completed.
   */
  async deregister(_registration: ReplicaRegistration): Promise<void> {}

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private async complete(registration: ReplicaRegistration, result: 'CONTINUE' | 'ABANDON'): Promise<void> {
    const target = this.target(registration);
    await this.onAction('CompleteLifecycleAction', target, () =>
      this.caller.call(this.options.groupName, 'CompleteLifecycleAction', () =>
        this.client.send(
          new CompleteLifecycleActionCommand({ ...this.base(), ...target, LifecycleActionResult: result }),
        ),
      ),
    );
  }

  private base(): { AutoScalingGroupName: string; LifecycleHookName: string } {
    return { AutoScalingGroupName: this.options.groupName, LifecycleHookName: this.options.hookName };
  }

  private target(registration: ReplicaRegistration): { InstanceId?: string; LifecycleActionToken?: string } {
    if (this.options.lifecycleActionToken !== undefined)
      return { LifecycleActionToken: this.options.lifecycleActionToken };
    const instanceId = this.options.instanceId ?? registration.replicaId;
    if (!INSTANCE_ID.test(instanceId)) {
      throw new ValidationError(
        [
          {
            path: 'replicaId',
            value: instanceId,
            allowed:
              "an EC2 instance id like i-0123456789abcdef0 (or set the registrar's instanceId or lifecycleActionToken)",
          },
        ],
        `AWS lifecycle registration for hook ${this.options.hookName} of Auto Scaling group ${this.options.groupName}`,
      );
    }
    return { InstanceId: instanceId };
  }

  /** Runs a lifecycle call; a ValidationError about the action is diagnosed against the hook. */
  private async onAction(
    action: string,
    target: { InstanceId?: string; LifecycleActionToken?: string },
    run: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (
        !(err instanceof AwsProviderError) ||
        (err.code !== AwsErrorCode.InvalidRequest && err.code !== AwsErrorCode.GroupNotFound)
      )
        throw err;
      const { groupName: group, hookName: hook } = this.options;
      const who =
        target.LifecycleActionToken !== undefined
          ? `token ${target.LifecycleActionToken}`
          : `instance ${target.InstanceId}`;
      if (await this.hookGone()) {
        throw new AwsProviderError(
          AwsErrorCode.LifecycleHookGone,
          `${action} failed: lifecycle hook ${hook} of Auto Scaling group ${group} no longer exists (${who}); the instance is not held for warm-up any more`,
          { group, action, awsCode: err.awsCode, cause: err },
        );
      }
      throw new AwsProviderError(
        AwsErrorCode.LifecycleActionNotFound,
        `${action} failed: no open lifecycle action for ${who} on hook ${hook} of Auto Scaling group ${group} (already completed, or its heartbeat timed out): ${err.message}`,
        { group, action, awsCode: err.awsCode, cause: err },
      );
    }
  }

  private async hookGone(): Promise<boolean> {
    const { groupName: group, hookName: hook } = this.options;
    try {
      const found = await this.caller.call(group, 'DescribeLifecycleHooks', () =>
        this.client.send(
          new DescribeLifecycleHooksCommand({ AutoScalingGroupName: group, LifecycleHookNames: [hook] }),
        ),
      );
      return !(found.LifecycleHooks ?? []).some((h) => h.LifecycleHookName === hook);
    } catch (err) {
      if (
        err instanceof AwsProviderError &&
        (err.code === AwsErrorCode.GroupNotFound || err.code === AwsErrorCode.InvalidRequest)
      )
        return true;
      throw err;
    }
  }
}
