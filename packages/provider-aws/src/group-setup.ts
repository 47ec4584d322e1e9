import {
  type AutoScalingClient,
  DescribeLifecycleHooksCommand,
  DescribeWarmPoolCommand,
  PutLifecycleHookCommand,
  PutWarmPoolCommand,
} from '@aws-sdk/client-auto-scaling';
import type { AwsCaller } from './aws-caller.js';
import { AwsErrorCode, AwsProviderError } from './errors/aws-provider-error.js';
import type { AwsGroupConfig, AwsLifecycleHookConfig, AwsWarmPoolConfig } from './group-config.js';

export const LAUNCHING_TRANSITION = 'autoscaling:EC2_INSTANCE_LAUNCHING';

/** What ensure() found and changed, for logs. */
export interface GroupSetupResult {
  readonly hook: 'absent-from-config' | 'ok' | 'created' | 'updated';
  readonly warmPool: 'absent-from-config' | 'ok' | 'created' | 'updated';
}

/**
 * Makes a group match its config: the launching lifecycle hook exists with the configured heartbeat
 * timeout and default result, and the warm pool has the configured min size, pool state and reuse
 * policy. Reads first and writes only what differs, so calling it again changes nothing.
 */
export class GroupSetup {
  private readonly client: AutoScalingClient;
  private readonly caller: AwsCaller;

  constructor(client: AutoScalingClient, caller: AwsCaller) {
    this.client = client;
    this.caller = caller;
  }

  async ensure(config: AwsGroupConfig): Promise<GroupSetupResult> {
    // The hook first: instances launched into a new warm pool then wait on it too.
    const hook = config.lifecycleHook
      ? await this.ensureHook(config.groupName, config.lifecycleHook)
      : 'absent-from-config';
    const warmPool = config.warmPool
      ? await this.ensureWarmPool(config.groupName, config.warmPool)
      : 'absent-from-config';
    return { hook, warmPool };
  }

  private async ensureHook(group: string, want: AwsLifecycleHookConfig): Promise<'ok' | 'created' | 'updated'> {
    const found = await this.caller.call(group, 'DescribeLifecycleHooks', () =>
      this.client.send(
        new DescribeLifecycleHooksCommand({ AutoScalingGroupName: group, LifecycleHookNames: [want.name] }),
      ),
    );
    const hook = (found.LifecycleHooks ?? []).find((h) => h.LifecycleHookName === want.name);
    if (
      hook &&
      hook.LifecycleTransition === LAUNCHING_TRANSITION &&
      hook.HeartbeatTimeout === want.heartbeatTimeoutS &&
      hook.DefaultResult === want.defaultResult
    ) {
      return 'ok';
    }
    await this.caller.call(group, 'PutLifecycleHook', () =>
      this.client.send(
        new PutLifecycleHookCommand({
          AutoScalingGroupName: group,
          LifecycleHookName: want.name,
          LifecycleTransition: LAUNCHING_TRANSITION,
          HeartbeatTimeout: want.heartbeatTimeoutS,
          DefaultResult: want.defaultResult,
        }),
      ),
    );
    return hook ? 'updated' : 'created';
  }

  private async ensureWarmPool(group: string, want: AwsWarmPoolConfig): Promise<'ok' | 'created' | 'updated'> {
    const found = await this.caller.call(group, 'DescribeWarmPool', () =>
      this.client.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: group, MaxRecords: 1 })),
    );
    const pool = found.WarmPoolConfiguration;
    if (pool?.Status === 'PendingDelete') {
      throw new AwsProviderError(
        AwsErrorCode.WarmPoolDeleting,
        `the warm pool of Auto Scaling group ${group} is being deleted (Status PendingDelete); it can be configured again once the deletion completes`,
        { group, action: 'DescribeWarmPool' },
      );
    }
    const havePrepared = pool?.MaxGroupPreparedCapacity === -1 ? undefined : pool?.MaxGroupPreparedCapacity;
    if (
      pool &&
      (pool.MinSize ?? 0) === want.minSize &&
      havePrepared === want.maxGroupPreparedCapacity &&
      pool.PoolState === want.poolState &&
      (pool.InstanceReusePolicy?.ReuseOnScaleIn ?? false) === want.reuseOnScaleIn
    ) {
      return 'ok';
    }
    await this.caller.call(group, 'PutWarmPool', () =>
      this.client.send(
        new PutWarmPoolCommand({
          AutoScalingGroupName: group,
          MinSize: want.minSize,
          // -1 sets it back to the group's MaxSize when the config leaves it out.
          MaxGroupPreparedCapacity: want.maxGroupPreparedCapacity ?? -1,
          PoolState: want.poolState,
          InstanceReusePolicy: { ReuseOnScaleIn: want.reuseOnScaleIn },
        }),
      ),
    );
    return pool ? 'updated' : 'created';
  }
}
