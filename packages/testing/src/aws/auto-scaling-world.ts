import { AwsFault } from './aws-fault.js';
import { groupInstance, InstanceLifecycle } from './instance-lifecycle.js';
import { LifecycleActionBook } from './lifecycle-action-book.js';
import {
  type FakeGroup,
  type FakeInstance,
  type FakeLifecycleAction,
  type FakeLifecycleHook,
  type GroupInit,
  type GroupUpdate,
  type HookUpdate,
  type WarmPoolUpdate,
  type LifecycleResult,
  type HealthStatus,
  isInWarmPool,
  isLeaving,
} from './world-types.js';

/**
 * The state of the fake Auto Scaling service: groups, their instances and warm pools, lifecycle
 * hooks and the lifecycle actions instances wait on. Mutations follow the API's rules; time moves
 * only through `advance()` (one lifecycle stage per call) and the injected clock (heartbeat
 * timeouts, cooldowns), so tests are deterministic.
 */
export class AutoScalingWorld {
  private readonly groups = new Map<string, FakeGroup>();
  private readonly actions = new LifecycleActionBook();
  private readonly clock: () => number;
  private readonly lifecycle: InstanceLifecycle;

  constructor(clock: () => number = Date.now) {
    this.clock = clock;
    this.lifecycle = new InstanceLifecycle(this.actions, clock, (name) => this.groups.get(name));
  }

  createGroup(init: GroupInit): FakeGroup {
    if (this.groups.has(init.name))
      throw new AwsFault(
        'AlreadyExists',
        `AutoScalingGroup by this name already exists - A group with the name ${init.name} already exists`,
      );
    const desired = init.desiredCapacity ?? 0;
    const group: FakeGroup = {
      name: init.name,
      minSize: init.minSize ?? 0,
      maxSize: init.maxSize ?? Math.max(10, desired),
      desiredCapacity: desired,
      defaultCooldownS: init.defaultCooldownS ?? 300,
      healthCheckType: 'EC2',
      createdAtMs: this.clock(),
      availabilityZones: init.availabilityZones ?? ['us-east-1a', 'us-east-1b'],
      lastScalingAtMs: undefined,
      instances: [],
      warmPool: undefined,
      hooks: new Map(),
    };
    for (let i = 0; i < (init.inServiceInstances ?? desired); i++)
      group.instances.push(this.lifecycle.newInstance(group, 'InService'));
    this.groups.set(group.name, group);
    this.lifecycle.reconcile(group);
    return group;
  }

  group(name: string): FakeGroup {
    const g = this.groups.get(name);
    if (!g) throw AwsFault.groupNotFound(name);
    return g;
  }

  /** Named groups that exist (unknown names are left out, as AWS does); all groups when none named. */
  describeGroups(names: readonly string[]): FakeGroup[] {
    if (names.length === 0) return [...this.groups.values()];
    return names.flatMap((n) => {
      const g = this.groups.get(n);
      return g ? [g] : [];
    });
  }

  instance(instanceId: string): FakeInstance | undefined {
    for (const g of this.groups.values()) {
      const found = g.instances.find((i) => i.instanceId === instanceId);
      if (found) return found;
    }
    return undefined;
  }

  setHealth(instanceId: string, health: HealthStatus): void {
    const inst = this.instance(instanceId);
    if (!inst) throw new Error(`fake: no instance ${instanceId}`);
    inst.healthStatus = health;
  }

  /**
   * TerminateInstanceInAutoScalingGroup: the instance starts terminating (its open lifecycle actions are dropped);
   * without decrementing, the group launches a replacement at once. Instances of the warm pool or already leaving are
   * refused as AWS does.
   */
  terminateInstance(instanceId: string, decrement: boolean): { group: FakeGroup; instance: FakeInstance } {
    const g = [...this.groups.values()].find((x) => groupInstance(x, instanceId));
    const inst = g ? groupInstance(g, instanceId) : undefined;
    if (!g || !inst || isInWarmPool(inst.lifecycleState))
      throw AwsFault.validation(`Instance Id not found - No managed instance found for instance ID: ${instanceId}`);
    if (isLeaving(inst.lifecycleState))
      throw new AwsFault('ScalingActivityInProgress', `Instance ${instanceId} is already terminating.`);
    if (decrement) {
      if (g.desiredCapacity - 1 < g.minSize) {
        throw AwsFault.validation(
          `Currently, desiredSize equals minSize (${g.minSize}). Terminating instance without replacement will violate group's min size constraint. Either set shouldDecrementDesiredCapacity flag to false or lower group's min size.`,
        );
      }
      g.desiredCapacity -= 1;
    }
    this.lifecycle.dropActions((a) => a.instanceId === instanceId);
    inst.lifecycleState = 'Terminating';
    this.lifecycle.reconcile(g);
    return { group: g, instance: inst };
  }

  setDesiredCapacity(name: string, desired: number, honorCooldown: boolean): void {
    const g = this.group(name);
    if (desired > g.maxSize)
      throw AwsFault.validation(
        `New SetDesiredCapacity value ${desired} is above max value ${g.maxSize} for the AutoScalingGroup.`,
      );
    if (desired < g.minSize)
      throw AwsFault.validation(
        `New SetDesiredCapacity value ${desired} is below min value ${g.minSize} for the AutoScalingGroup.`,
      );
    const now = this.clock();
    if (honorCooldown && g.lastScalingAtMs !== undefined && now < g.lastScalingAtMs + g.defaultCooldownS * 1000) {
      throw new AwsFault(
        'ScalingActivityInProgress',
        `Scaling activity in progress: the cooldown of AutoScalingGroup ${name} has not expired.`,
      );
    }
    if (desired !== g.desiredCapacity) g.lastScalingAtMs = now;
    g.desiredCapacity = desired;
    this.lifecycle.reconcile(g);
  }

  updateGroup(name: string, update: GroupUpdate): void {
    const g = this.group(name);
    const minSize = update.minSize ?? g.minSize;
    const maxSize = update.maxSize ?? g.maxSize;
    if (minSize > maxSize)
      throw AwsFault.validation(`Max bound, ${maxSize}, must be greater than or equal to min bound, ${minSize}`);
    let desired = update.desiredCapacity ?? g.desiredCapacity;
    if (update.desiredCapacity !== undefined && (desired < minSize || desired > maxSize)) {
      throw AwsFault.validation(
        `Desired capacity:${desired} must be between the specified min size:${minSize} and max size:${maxSize}`,
      );
    }
    desired = Math.min(maxSize, Math.max(minSize, desired));
    if (desired !== g.desiredCapacity) g.lastScalingAtMs = this.clock();
    g.minSize = minSize;
    g.maxSize = maxSize;
    g.desiredCapacity = desired;
    if (update.defaultCooldownS !== undefined) g.defaultCooldownS = update.defaultCooldownS;
    this.lifecycle.reconcile(g);
  }

  putWarmPool(name: string, update: WarmPoolUpdate): void {
    const g = this.group(name);
    if (g.warmPool?.status === 'PendingDelete') {
      throw new AwsFault(
        'ResourceInUse',
        `The warm pool of AutoScalingGroup ${name} is being deleted; try again when the deletion completes.`,
      );
    }
    const prev = g.warmPool;
    const minSize = update.minSize ?? prev?.minSize ?? 0;
    const rawMax = update.maxGroupPreparedCapacity ?? prev?.maxGroupPreparedCapacity;
    const maxPrepared = rawMax === -1 ? undefined : rawMax;
    if (maxPrepared !== undefined && maxPrepared < minSize) {
      throw AwsFault.validation(
        `MaxGroupPreparedCapacity ${maxPrepared} must be greater than or equal to the warm pool MinSize ${minSize}.`,
      );
    }
    g.warmPool = {
      minSize,
      maxGroupPreparedCapacity: maxPrepared,
      poolState: update.poolState ?? prev?.poolState ?? 'Stopped',
      reuseOnScaleIn: update.reuseOnScaleIn ?? prev?.reuseOnScaleIn ?? false,
      status: undefined,
    };
    this.lifecycle.reconcile(g);
  }

  deleteWarmPool(name: string): void {
    const g = this.group(name);
    if (!g.warmPool) throw AwsFault.validation(`No warm pool found for AutoScalingGroup ${name}.`);
    g.warmPool.status = 'PendingDelete';
    for (const inst of g.instances) {
      if (isInWarmPool(inst.lifecycleState) && !isLeaving(inst.lifecycleState))
        inst.lifecycleState = 'Warmed:Terminating';
    }
    this.lifecycle.dropActions((a) => a.groupName === name && !groupInstance(g, a.instanceId));
  }

  putLifecycleHook(groupName: string, hookName: string, update: HookUpdate): void {
    const g = this.group(groupName);
    const prev = g.hooks.get(hookName);
    const transition = update.transition ?? prev?.transition;
    if (!transition) {
      throw AwsFault.validation(
        `1 validation error detected: Value null at 'lifecycleTransition' failed to satisfy constraint: Member must not be null`,
      );
    }
    const heartbeatTimeoutS = update.heartbeatTimeoutS ?? prev?.heartbeatTimeoutS ?? 3600;
    g.hooks.set(hookName, {
      name: hookName,
      groupName,
      transition,
      heartbeatTimeoutS,
      globalTimeoutS: Math.min(100 * heartbeatTimeoutS, 172800),
      defaultResult: update.defaultResult ?? prev?.defaultResult ?? 'ABANDON',
      notificationMetadata: update.notificationMetadata ?? prev?.notificationMetadata,
      notificationTargetArn: update.notificationTargetArn ?? prev?.notificationTargetArn,
      roleArn: update.roleArn ?? prev?.roleArn,
    });
  }

  deleteLifecycleHook(groupName: string, hookName: string): void {
    const g = this.group(groupName);
    if (!g.hooks.delete(hookName)) throw AwsFault.validation(`No Lifecycle Hook found for name: ${hookName}`);
    // Instances waiting on a deleted hook go on as if it had answered CONTINUE.
    for (const a of this.actions.list())
      if (a.groupName === groupName && a.hookName === hookName) this.lifecycle.finish(a, 'CONTINUE');
  }

  describeLifecycleHooks(groupName: string, names: readonly string[]): FakeLifecycleHook[] {
    const g = this.group(groupName);
    const all = [...g.hooks.values()];
    return names.length === 0 ? all : all.filter((h) => names.includes(h.name));
  }

  /** Open lifecycle actions (what an SNS/EventBridge notification would have told the instance). */
  lifecycleActions(): FakeLifecycleAction[] {
    return this.actions.list();
  }

  recordHeartbeat(
    groupName: string,
    hookName: string,
    token: string | undefined,
    instanceId: string | undefined,
  ): void {
    const a = this.findAction(groupName, hookName, token, instanceId);
    a.lastHeartbeatAtMs = this.clock();
  }

  completeAction(
    groupName: string,
    hookName: string,
    result: LifecycleResult,
    token: string | undefined,
    instanceId: string | undefined,
  ): void {
    const a = this.findAction(groupName, hookName, token, instanceId);
    this.lifecycle.finish(a, result);
    this.lifecycle.reconcile(this.group(groupName));
  }

  /**
   * Completes every open launching action (of one group, or all) the way warm-up agents would:
   * the stand-in for "the replicas became warm" in tests. Returns how many were completed.
   */
  completeAllWaiting(result: LifecycleResult = 'CONTINUE', groupName?: string): number {
    let n = 0;
    for (const a of this.actions.list()) {
      if (
        a.transition !== 'autoscaling:EC2_INSTANCE_LAUNCHING' ||
        (groupName !== undefined && a.groupName !== groupName)
      )
        continue;
      this.lifecycle.finish(a, result);
      n++;
    }
    for (const g of this.groups.values()) this.lifecycle.reconcile(g);
    return n;
  }

  /**
   * Moves every instance one lifecycle stage on (instances Terminated at the last advance leave),
   * then applies the default result of hooks whose heartbeat (or global) timeout has passed, then
   * reconciles capacity and warm pools. Returns how many groups or actions changed.
   */
  advance(): number {
    let changes = 0;
    const before = new Map<string, string>();
    for (const g of this.groups.values()) {
      before.set(g.name, g.instances.map((i) => `${i.instanceId}=${i.lifecycleState}`).join());
      for (let i = g.instances.length - 1; i >= 0; i--) {
        const s = g.instances[i]!.lifecycleState;
        if (s === 'Terminated' || s === 'Warmed:Terminated') g.instances.splice(i, 1);
      }
      for (const inst of [...g.instances]) this.lifecycle.step(g, inst);
    }
    const now = this.clock();
    for (const a of this.actions.list()) {
      const hook = this.groups.get(a.groupName)?.hooks.get(a.hookName);
      if (!hook) continue;
      if (
        now - a.lastHeartbeatAtMs >= hook.heartbeatTimeoutS * 1000 ||
        now - a.startedAtMs >= hook.globalTimeoutS * 1000
      ) {
        this.lifecycle.finish(a, hook.defaultResult);
        changes++;
      }
    }
    for (const g of this.groups.values()) {
      if (g.warmPool?.status === 'PendingDelete' && !g.instances.some((i) => isInWarmPool(i.lifecycleState)))
        g.warmPool = undefined;
      this.lifecycle.reconcile(g);
      if (g.instances.map((i) => `${i.instanceId}=${i.lifecycleState}`).join() !== before.get(g.name)) changes++;
    }
    return changes;
  }

  /** advance() until nothing moves (instances waiting on hooks stay waiting). */
  settle(maxSteps = 50): void {
    for (let i = 0; i < maxSteps && this.advance() > 0; i++);
  }

  private findAction(
    groupName: string,
    hookName: string,
    token: string | undefined,
    instanceId: string | undefined,
  ): FakeLifecycleAction {
    this.group(groupName);
    return this.actions.find(groupName, hookName, token, instanceId);
  }
}
