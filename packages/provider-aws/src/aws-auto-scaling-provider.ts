import {
  type AutoScalingClient,
  type AutoScalingGroup,
  CompleteLifecycleActionCommand,
  DescribeAutoScalingGroupsCommand,
  SetDesiredCapacityCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  type ReplicaInfo,
  type ReplicaPhase,
  type ReplicaProvider,
  type ReplicaReplacement,
  type ReplicaSetState,
  type ScaleRequest,
  ValidationError,
  type WarmTier,
  Backoff,
  type BackoffOptions,
} from '@warmpool/domain';
import { AwsCaller, type AwsRetryEvent } from './aws-caller.js';
import { type AutoScalingClientOptions, createAutoScalingClient } from './auto-scaling-client.js';
import { AwsErrorCode, AwsProviderError } from './errors/aws-provider-error.js';
import { type AwsGroupConfig, type WarmPoolState, parseAwsGroups } from './group-config.js';
import { poolStateForTier } from './warm-tier-pool-state.js';
import { GroupSetup, type GroupSetupResult } from './group-setup.js';
import { IdempotencyLedger } from './idempotency-ledger.js';
import { InstanceClock } from './instance-clock.js';
import { instancePhase } from './instance-phase.js';

export interface AwsAutoScalingProviderOptions {
  /** Per model its group: `{ <model>: { groupName, honorCooldown?, warmPool?, lifecycleHook? } }` (validated). */
  readonly groups: unknown;
  /** A client to use (it should have `maxAttempts: 1`), or options to build one. */
  readonly client?: AutoScalingClient;
  readonly clientOptions?: AutoScalingClientOptions;
  readonly retry?: BackoffOptions;
  /** Told about every retry (throttling, 5xx) before it waits. */
  readonly onRetry?: (event: AwsRetryEvent) => void;
  /** Epoch ms clock for replica timestamps (default Date.now). */
  readonly clock?: () => number;
  /** Idempotency keys remembered (default 10 000, oldest forgotten first). */
  readonly idempotencyKeysKept?: number;
  /** scale() checks the hook and warm pool again when the last check is this old (default 10 min). */
  readonly reensureAfterMs?: number;
}

/**
 * ReplicaProvider over AWS EC2 Auto Scaling: one group per model. scale() makes sure the launching
 * lifecycle hook and the warm pool match the config (once per model), then sets the desired
 * capacity; getState() reads DescribeAutoScalingGroups (InService + Healthy = ready, Pending:Wait =
 * warming on the hook). A request's idempotency key is applied once: keys already applied are kept
 * here, and a desired capacity already equal to the request is not set again. A request's `replace` list ends
 * failed instances first: one held on the launching hook (Pending:Wait) has its lifecycle action completed with
 * ABANDON, any other is terminated without decrementing the desired capacity; either way the group launches a
 * replacement.
 */
export class AwsAutoScalingProvider implements ReplicaProvider {
  readonly name = 'aws-autoscaling';
  private readonly groups: Readonly<Record<string, AwsGroupConfig>>;
  private readonly client: AutoScalingClient;
  private readonly ownsClient: boolean;
  private readonly caller: AwsCaller;
  private readonly setup: GroupSetup;
  private readonly ledger: IdempotencyLedger;
  private readonly clocks = new Map<string, InstanceClock>();
  private readonly ensured = new Map<string, { readonly done: Promise<GroupSetupResult>; readonly atMs: number }>();
  private readonly clock: () => number;
  private readonly reensureAfterMs: number;
  /** Model → the warm pool state its warmth tier asks for (setWarmTier); it overrides the config's poolState. */
  private readonly tierPoolStates = new Map<string, WarmPoolState>();

  constructor(options: AwsAutoScalingProviderOptions) {
    this.groups = parseAwsGroups(options.groups);
    this.clock = options.clock ?? Date.now;
    this.caller = new AwsCaller(new Backoff(options.retry, 'AWS retry options'), options.onRetry);
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createAutoScalingClient(options.clientOptions);
    this.setup = new GroupSetup(this.client, this.caller);
    this.ledger = new IdempotencyLedger(options.idempotencyKeysKept ?? 10_000);
    this.reensureAfterMs = options.reensureAfterMs ?? 600_000;
  }

  /** The models this provider has groups for. */
  get models(): string[] {
    return Object.keys(this.groups);
  }

  /**
   * Makes the model's lifecycle hook and warm pool match the config. scale() calls it on a model's
   * first scale and again once the last check is `reensureAfterMs` old (someone may have deleted
   * the hook); a daemon may call it at start-up. A failure is not kept: the next call tries again.
   */
  ensureGroup(model: string): Promise<GroupSetupResult> {
    const configured = this.config(model);
    const tierState = this.tierPoolStates.get(model);
    const config =
      configured.warmPool && tierState
        ? { ...configured, warmPool: { ...configured.warmPool, poolState: tierState } }
        : configured;
    const now = this.clock();
    const last = this.ensured.get(model);
    if (last && now - last.atMs < this.reensureAfterMs) return last.done;
    const done = this.setup.ensure(config);
    const entry = { done, atMs: now };
    this.ensured.set(model, entry);
    done.catch(() => {
      if (this.ensured.get(model) === entry) this.ensured.delete(model);
    });
    return done;
  }

  /**
   * Warmth tiers that act: the fleet planner's tier for the model sets its group's warm pool state (poolStateForTier:
   * `gpu` Running, `host` Hibernated where the configured pool hibernates, else Stopped, `cold` Stopped), written
   * at once (PutWarmPool only when it differs) and kept by later ensures. A group without a warm pool has nothing to
   * set: `{ poolState: undefined }`.
   */
  async setWarmTier(
    model: string,
    tier: WarmTier,
  ): Promise<{ readonly poolState: WarmPoolState | undefined; readonly changed: boolean }> {
    const config = this.config(model);
    if (!config.warmPool) return { poolState: undefined, changed: false };
    const poolState = poolStateForTier(tier, config.warmPool);
    const before = this.tierPoolStates.get(model);
    this.tierPoolStates.set(model, poolState);
    this.ensured.delete(model);
    try {
      const result = await this.ensureGroup(model);
      return { poolState, changed: result.warmPool !== 'ok' };
    } catch (err) {
      if (before === undefined) this.tierPoolStates.delete(model);
      else this.tierPoolStates.set(model, before);
      throw err;
    }
  }

  async getState(model: string): Promise<ReplicaSetState> {
    const config = this.config(model);
    const group = await this.describe(config.groupName);
    return { model, desired: group.DesiredCapacity ?? 0, replicas: this.observe(model, group) };
  }

  async scale(request: ScaleRequest): Promise<void> {
    const config = this.config(request.model);
    if (!Number.isInteger(request.replicas) || request.replicas < 0) {
      throw new ValidationError(
        [{ path: 'replicas', value: request.replicas, allowed: 'an integer >= 0' }],
        `scale request for model ${request.model}`,
      );
    }
    if (typeof request.idempotencyKey !== 'string' || request.idempotencyKey.length === 0) {
      throw new ValidationError(
        [{ path: 'idempotencyKey', value: request.idempotencyKey, allowed: 'a non-empty string' }],
        `scale request for model ${request.model}`,
      );
    }
    await this.ledger.once(
      request.idempotencyKey,
      { model: request.model, replicas: request.replicas },
      config.groupName,
      () => this.apply(config, request),
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.ensured.values()].map((e) => e.done));
    if (this.ownsClient) this.client.destroy();
  }

  private async apply(config: AwsGroupConfig, request: ScaleRequest): Promise<void> {
    await this.ensureGroup(request.model);
    const group = await this.describe(config.groupName);
    // Instances there now are known before the scale-up stamps the ones it asks for.
    this.observe(request.model, group);
    if (request.replace?.length) await this.replaceInstances(request.model, config, group, request.replace);
    const current = group.DesiredCapacity ?? 0;
    if (current === request.replicas) return;
    const min = group.MinSize ?? 0;
    const max = group.MaxSize ?? Number.POSITIVE_INFINITY;
    if (request.replicas < min || request.replicas > max) {
      throw new AwsProviderError(
        AwsErrorCode.CapacityOutOfRange,
        `cannot scale model ${request.model}: desired capacity ${request.replicas} is outside [${min}, ${max}] (MinSize, MaxSize) of Auto Scaling group ${config.groupName}`,
        { group: config.groupName, action: 'SetDesiredCapacity' },
      );
    }
    await this.caller.call(config.groupName, 'SetDesiredCapacity', () =>
      this.client.send(
        new SetDesiredCapacityCommand({
          AutoScalingGroupName: config.groupName,
          DesiredCapacity: request.replicas,
          HonorCooldown: config.honorCooldown,
        }),
      ),
    );
    const clock = this.instanceClock(request.model);
    if (request.replicas > current) clock.scaledUp(request.replicas - current, this.clock());
    else clock.scaledDown();
  }

  /** Ends each listed instance still in the group (ABANDON on the hook while it waits there, else terminate). */
  private async replaceInstances(
    model: string,
    config: AwsGroupConfig,
    group: AutoScalingGroup,
    replace: readonly ReplicaReplacement[],
  ): Promise<void> {
    const groupName = config.groupName;
    let ended = 0;
    for (const { id } of replace) {
      const inst = (group.Instances ?? []).find((i) => i.InstanceId === id);
      const state = inst?.LifecycleState ?? '';
      if (
        !inst ||
        state.startsWith('Terminat') ||
        state.startsWith('Warmed:') ||
        state === 'Detaching' ||
        state === 'Detached'
      )
        continue;
      const hook = config.lifecycleHook?.name;
      const gone = (err: unknown): boolean =>
        err instanceof AwsProviderError && err.code === AwsErrorCode.InvalidRequest;
      let abandoned = false;
      if (state === 'Pending:Wait' && hook !== undefined) {
        try {
          await this.caller.call(groupName, 'CompleteLifecycleAction', () =>
            this.client.send(
              new CompleteLifecycleActionCommand({
                AutoScalingGroupName: groupName,
                LifecycleHookName: hook,
                InstanceId: id,
                LifecycleActionResult: 'ABANDON',
              }),
            ),
          );
          abandoned = true;
        } catch (err) {
          // The action was completed or timed out meanwhile: terminate the instance instead.
          if (!gone(err)) throw err;
        }
      }
      if (!abandoned) {
        try {
          await this.caller.call(groupName, 'TerminateInstanceInAutoScalingGroup', () =>
            this.client.send(
              new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: id, ShouldDecrementDesiredCapacity: false }),
            ),
          );
        } catch (err) {
          // Gone or already terminating meanwhile: nothing left to end.
          if (gone(err) || (err instanceof AwsProviderError && err.awsCode === 'ScalingActivityInProgress')) continue;
          throw err;
        }
      }
      ended++;
    }
    // The replacements the group launches are stamped from now.
    if (ended > 0) this.instanceClock(model).scaledUp(ended, this.clock());
  }

  private observe(model: string, group: AutoScalingGroup): ReplicaInfo[] {
    const listed: { id: string; phase: ReplicaPhase }[] = [];
    for (const inst of group.Instances ?? []) {
      const phase = instancePhase(inst.LifecycleState, inst.HealthStatus);
      if (phase !== undefined && inst.InstanceId !== undefined) listed.push({ id: inst.InstanceId, phase });
    }
    const times = this.instanceClock(model).observe(listed, this.clock());
    return listed.map(({ id, phase }) => {
      const t = times.get(id)!;
      return t.readyAtMs !== undefined
        ? { id, phase, requestedAtMs: t.requestedAtMs, readyAtMs: t.readyAtMs }
        : { id, phase, requestedAtMs: t.requestedAtMs };
    });
  }

  private async describe(groupName: string): Promise<AutoScalingGroup> {
    const answer = await this.caller.call(groupName, 'DescribeAutoScalingGroups', () =>
      this.client.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [groupName] })),
    );
    const group = (answer.AutoScalingGroups ?? []).find((g) => g.AutoScalingGroupName === groupName);
    if (!group) {
      throw new AwsProviderError(
        AwsErrorCode.GroupNotFound,
        `Auto Scaling group ${groupName} not found (DescribeAutoScalingGroups returned no such group)`,
        {
          group: groupName,
          action: 'DescribeAutoScalingGroups',
        },
      );
    }
    return group;
  }

  private config(model: string): AwsGroupConfig {
    const config = Object.hasOwn(this.groups, model) ? this.groups[model] : undefined;
    if (!config) {
      const known = Object.keys(this.groups);
      throw new AwsProviderError(
        AwsErrorCode.UnknownModel,
        `no Auto Scaling group configured for model ${model} (configured: ${known.join(', ') || 'none'})`,
        {
          group: '(none)',
        },
      );
    }
    return config;
  }

  private instanceClock(model: string): InstanceClock {
    let c = this.clocks.get(model);
    if (!c) {
      c = new InstanceClock();
      this.clocks.set(model, c);
    }
    return c;
  }
}
