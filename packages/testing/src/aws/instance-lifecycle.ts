import type { LifecycleActionBook } from './lifecycle-action-book.js';
import {
  type FakeGroup,
  type FakeInstance,
  type FakeLifecycleAction,
  type FakeLifecycleHook,
  type LifecycleResult,
  type LifecycleTransition,
  isInWarmPool,
  isLeaving,
  poolReadyState,
} from './world-types.js';

const LAUNCHING: LifecycleTransition = 'autoscaling:EC2_INSTANCE_LAUNCHING';
const TERMINATING: LifecycleTransition = 'autoscaling:EC2_INSTANCE_TERMINATING';

/** The group's instance with this id, if it has one. */
export function groupInstance(g: FakeGroup, instanceId: string): FakeInstance | undefined {
  return g.instances.find((i) => i.instanceId === instanceId);
}

/**
 * How the fake's instances move: one lifecycle stage per `step`, capacity and warm pool matched by `reconcile`,
 * a lifecycle action's result applied by `finish`. AutoScalingWorld drives it; instances get ids in launch order.
 */
export class InstanceLifecycle {
  private instanceSeq = 0;

  constructor(
    private readonly actions: LifecycleActionBook,
    private readonly clock: () => number,
    private readonly groupNamed: (name: string) => FakeGroup | undefined,
  ) {}

  step(g: FakeGroup, inst: FakeInstance): void {
    const launchingHook = this.firstHook(g, LAUNCHING);
    switch (inst.lifecycleState) {
      case 'Pending':
        if (launchingHook) this.wait(g, inst, launchingHook, 'Pending:Wait');
        else inst.lifecycleState = 'InService';
        return;
      case 'Pending:Proceed':
        inst.lifecycleState = 'InService';
        return;
      case 'InService':
        if (inst.healthStatus === 'Unhealthy') inst.lifecycleState = 'Terminating';
        return;
      case 'Warmed:Pending':
        if (launchingHook) this.wait(g, inst, launchingHook, 'Warmed:Pending:Wait');
        else inst.lifecycleState = poolReadyState(g.warmPool?.poolState ?? 'Stopped');
        return;
      case 'Warmed:Pending:Proceed':
        inst.lifecycleState = poolReadyState(g.warmPool?.poolState ?? 'Stopped');
        return;
      case 'Terminating': {
        const hook = this.firstHook(g, TERMINATING);
        if (hook) this.wait(g, inst, hook, 'Terminating:Wait');
        else inst.lifecycleState = 'Terminated';
        return;
      }
      case 'Terminating:Proceed':
        inst.lifecycleState = 'Terminated';
        return;
      case 'Warmed:Terminating':
        inst.lifecycleState = 'Warmed:Terminated';
        return;
      default:
        return;
    }
  }

  /** Launches or removes instances so the group matches its desired capacity and the warm pool its size. */
  reconcile(g: FakeGroup): void {
    const active = g.instances.filter((i) => !isInWarmPool(i.lifecycleState) && !isLeaving(i.lifecycleState));
    if (active.length < g.desiredCapacity) {
      let missing = g.desiredCapacity - active.length;
      const pooled = g.instances.filter(
        (i) =>
          i.lifecycleState.startsWith('Warmed:') &&
          !i.lifecycleState.startsWith('Warmed:Pending') &&
          !isLeaving(i.lifecycleState),
      );
      for (const inst of pooled.slice(0, missing)) {
        inst.lifecycleState = 'Pending';
        missing--;
      }
      for (; missing > 0; missing--) g.instances.push(this.newInstance(g, 'Pending'));
    } else if (active.length > g.desiredCapacity) {
      // Not-yet-ready instances go first, then the newest.
      const order = [...active].sort(
        (a, b) =>
          Number(a.lifecycleState === 'InService') - Number(b.lifecycleState === 'InService') ||
          b.launchSeq - a.launchSeq,
      );
      for (const inst of order.slice(0, active.length - g.desiredCapacity)) {
        this.dropActions((a) => a.instanceId === inst.instanceId);
        const reuse = g.warmPool !== undefined && g.warmPool.status === undefined && g.warmPool.reuseOnScaleIn;
        inst.lifecycleState = reuse ? 'Warmed:Pending' : 'Terminating';
      }
    }
    const pool = g.warmPool;
    if (!pool || pool.status === 'PendingDelete') return;
    const inPool = g.instances.filter((i) => isInWarmPool(i.lifecycleState) && !isLeaving(i.lifecycleState));
    const maxPrepared = pool.maxGroupPreparedCapacity ?? g.maxSize;
    const target = Math.max(pool.minSize, maxPrepared - g.desiredCapacity);
    for (let n = inPool.length; n < target; n++) g.instances.push(this.newInstance(g, 'Warmed:Pending'));
    for (const inst of inPool.slice(target)) {
      this.dropActions((a) => a.instanceId === inst.instanceId);
      inst.lifecycleState = 'Warmed:Terminating';
    }
  }

  finish(a: FakeLifecycleAction, result: LifecycleResult): void {
    this.actions.close(a.token);
    const g = this.groupNamed(a.groupName);
    const inst = g ? groupInstance(g, a.instanceId) : undefined;
    if (!inst) return;
    const s = inst.lifecycleState;
    if (s === 'Pending:Wait') inst.lifecycleState = result === 'CONTINUE' ? 'Pending:Proceed' : 'Terminating';
    else if (s === 'Warmed:Pending:Wait')
      inst.lifecycleState = result === 'CONTINUE' ? 'Warmed:Pending:Proceed' : 'Warmed:Terminating';
    else if (s === 'Terminating:Wait') inst.lifecycleState = 'Terminating:Proceed';
  }

  private wait(g: FakeGroup, inst: FakeInstance, hook: FakeLifecycleHook, state: FakeInstance['lifecycleState']): void {
    inst.lifecycleState = state;
    this.actions.open(g.name, hook.name, inst.instanceId, hook.transition, this.clock());
  }

  private firstHook(g: FakeGroup, transition: LifecycleTransition): FakeLifecycleHook | undefined {
    return [...g.hooks.values()]
      .filter((h) => h.transition === transition)
      .sort((a, b) => a.name.localeCompare(b.name))[0];
  }

  dropActions(match: (a: FakeLifecycleAction) => boolean): void {
    this.actions.drop(match);
  }

  newInstance(g: FakeGroup, state: FakeInstance['lifecycleState']): FakeInstance {
    this.instanceSeq++;
    return {
      instanceId: `i-${this.instanceSeq.toString(16).padStart(17, '0')}`,
      lifecycleState: state,
      healthStatus: 'Healthy',
      availabilityZone: g.availabilityZones[this.instanceSeq % g.availabilityZones.length] ?? 'us-east-1a',
      instanceType: 'g5.xlarge',
      launchedAtMs: this.clock(),
      launchSeq: this.instanceSeq,
    };
  }
}
