import { describe, expect, it } from 'vitest';
import { AutoScalingWorld } from './auto-scaling-world.js';
import { AwsFault } from './aws-fault.js';

const LAUNCHING = 'autoscaling:EC2_INSTANCE_LAUNCHING' as const;
const TERMINATING = 'autoscaling:EC2_INSTANCE_TERMINATING' as const;

function setup() {
  let now = 0;
  const world = new AutoScalingWorld(() => now);
  const states = (g = 'g') => world.group(g).instances.map((i) => i.lifecycleState);
  return { world, states, tick: (ms: number) => (now += ms) };
}

describe('AutoScalingWorld', () => {
  it('without hooks: Pending -> InService in one advance', () => {
    const { world, states } = setup();
    world.createGroup({ name: 'g', maxSize: 4 });
    world.setDesiredCapacity('g', 2, false);
    expect(states()).toEqual(['Pending', 'Pending']);
    world.advance();
    expect(states()).toEqual(['InService', 'InService']);
  });

  it('a launching hook holds instances in Pending:Wait with an open action; CONTINUE -> Pending:Proceed -> InService', () => {
    const { world, states } = setup();
    world.createGroup({ name: 'g', maxSize: 4 });
    world.putLifecycleHook('g', 'h', { transition: LAUNCHING, heartbeatTimeoutS: 60 });
    world.setDesiredCapacity('g', 1, false);
    world.settle();
    expect(states()).toEqual(['Pending:Wait']);
    const [action] = world.lifecycleActions();
    expect(action).toMatchObject({ groupName: 'g', hookName: 'h', transition: LAUNCHING });
    world.completeAction('g', 'h', 'CONTINUE', action!.token, undefined);
    expect(states()).toEqual(['Pending:Proceed']);
    world.advance();
    expect(states()).toEqual(['InService']);
    expect(world.lifecycleActions()).toEqual([]);
  });

  it('completeAllWaiting() completes the launching actions of one group', () => {
    const { world, states } = setup();
    world.createGroup({ name: 'g', maxSize: 4 });
    world.createGroup({ name: 'other', maxSize: 4 });
    for (const g of ['g', 'other']) {
      world.putLifecycleHook(g, 'h', { transition: LAUNCHING });
      world.setDesiredCapacity(g, 2, false);
    }
    world.advance();
    expect(world.completeAllWaiting('CONTINUE', 'g')).toBe(2);
    world.advance();
    expect(states()).toEqual(['InService', 'InService']);
    expect(states('other')).toEqual(['Pending:Wait', 'Pending:Wait']);
  });

  it('heartbeat timeout applies the default result; a CONTINUE default lets the instance in', () => {
    const { world, states, tick } = setup();
    world.createGroup({ name: 'g', maxSize: 4 });
    world.putLifecycleHook('g', 'h', { transition: LAUNCHING, heartbeatTimeoutS: 60, defaultResult: 'CONTINUE' });
    world.setDesiredCapacity('g', 1, false);
    world.advance();
    tick(59_000);
    world.advance();
    expect(states()).toEqual(['Pending:Wait']);
    tick(1_000);
    world.advance();
    expect(states()).toEqual(['Pending:Proceed']);
  });

  it('the global timeout ends a wait however many heartbeats were sent', () => {
    const { world, states, tick } = setup();
    world.createGroup({ name: 'g', maxSize: 4 });
    world.putLifecycleHook('g', 'h', { transition: LAUNCHING, heartbeatTimeoutS: 30 });
    expect(world.describeLifecycleHooks('g', ['h'])[0]!.globalTimeoutS).toBe(3000);
    world.setDesiredCapacity('g', 1, false);
    world.advance();
    const id = world.group('g').instances[0]!.instanceId;
    for (let t = 0; t < 3000; t += 20) {
      tick(20_000);
      world.recordHeartbeat('g', 'h', undefined, id);
      world.advance();
    }
    expect(world.instance(id)?.lifecycleState).toBe('Terminating');
    world.advance();
    expect(states().filter((s) => s === 'Pending:Wait')).toHaveLength(1); // its replacement
  });

  it('warm pool: sized max(MinSize, MaxGroupPreparedCapacity - desired); scale-out takes warmed instances first', () => {
    const { world, states } = setup();
    world.createGroup({ name: 'g', maxSize: 10, desiredCapacity: 1 });
    world.putWarmPool('g', { minSize: 1, maxGroupPreparedCapacity: 4, poolState: 'Running' });
    expect(states().filter((s) => s.startsWith('Warmed:'))).toHaveLength(3);
    world.settle();
    expect(states()).toEqual(['InService', 'Warmed:Running', 'Warmed:Running', 'Warmed:Running']);
    const pooled = world
      .group('g')
      .instances.filter((i) => i.lifecycleState === 'Warmed:Running')
      .map((i) => i.instanceId);
    world.setDesiredCapacity('g', 3, false);
    const pendingIds = world
      .group('g')
      .instances.filter((i) => i.lifecycleState === 'Pending')
      .map((i) => i.instanceId);
    expect(pendingIds).toEqual(pooled.slice(0, 2));
    world.settle();
    // 4 - 3 = 1 < MinSize 1: the pool keeps one.
    expect(states().filter((s) => s === 'InService')).toHaveLength(3);
    expect(states().filter((s) => s === 'Warmed:Running')).toHaveLength(1);
  });

  it('warm pool instances wait on the launching hook too (Warmed:Pending:Wait); ABANDON terminates them', () => {
    const { world, states } = setup();
    world.createGroup({ name: 'g', maxSize: 2, desiredCapacity: 0 });
    world.putLifecycleHook('g', 'h', { transition: LAUNCHING });
    world.putWarmPool('g', { minSize: 1 });
    world.advance();
    expect(states()).toEqual(['Warmed:Pending:Wait', 'Warmed:Pending:Wait']);
    const [a] = world.lifecycleActions();
    world.completeAction('g', 'h', 'ABANDON', undefined, a!.instanceId);
    expect(world.instance(a!.instanceId)?.lifecycleState).toBe('Warmed:Terminating');
  });

  it('scale-in without reuse terminates (through a terminating hook when there is one); with reuse returns to the pool', () => {
    const { world, states } = setup();
    world.createGroup({ name: 'g', maxSize: 4, desiredCapacity: 2 });
    world.putLifecycleHook('g', 'drain', { transition: TERMINATING });
    world.setDesiredCapacity('g', 1, false);
    world.advance();
    expect(states()).toEqual(['InService', 'Terminating:Wait']);
    const [a] = world.lifecycleActions();
    world.completeAction('g', 'drain', 'CONTINUE', undefined, a!.instanceId);
    world.settle();
    expect(states()).toEqual(['InService']);

    world.putWarmPool('g', { minSize: 0, maxGroupPreparedCapacity: 1, reuseOnScaleIn: true });
    world.setDesiredCapacity('g', 0, false);
    expect(states()).toEqual(['Warmed:Pending']);
    world.settle();
    expect(states()).toEqual(['Warmed:Stopped']);
  });

  it('unhealthy InService instances are replaced', () => {
    const { world, states } = setup();
    world.createGroup({ name: 'g', maxSize: 4, desiredCapacity: 1 });
    const id = world.group('g').instances[0]!.instanceId;
    world.setHealth(id, 'Unhealthy');
    world.advance();
    expect(states()).toEqual(['Terminating', 'Pending']);
    world.settle();
    expect(states()).toEqual(['InService']);
    expect(world.instance(id)).toBeUndefined();
  });

  it('DeleteWarmPool: PendingDelete until the pool is empty, then gone; PutWarmPool meanwhile is ResourceInUse', () => {
    const { world } = setup();
    world.createGroup({ name: 'g', maxSize: 3 });
    world.putWarmPool('g', { minSize: 1 });
    world.deleteWarmPool('g');
    expect(world.group('g').warmPool?.status).toBe('PendingDelete');
    expect(() => world.putWarmPool('g', {})).toThrow(expect.objectContaining({ code: 'ResourceInUse' }));
    world.settle();
    expect(world.group('g').warmPool).toBeUndefined();
    expect(world.group('g').instances).toEqual([]);
  });

  it('HonorCooldown refuses a change inside DefaultCooldown with ScalingActivityInProgress', () => {
    const { world, tick } = setup();
    world.createGroup({ name: 'g', maxSize: 4, defaultCooldownS: 60 });
    world.setDesiredCapacity('g', 1, true);
    expect(() => world.setDesiredCapacity('g', 2, true)).toThrow(
      expect.objectContaining({ code: 'ScalingActivityInProgress' }),
    );
    world.setDesiredCapacity('g', 2, false);
    tick(60_000);
    world.setDesiredCapacity('g', 3, true);
    expect(world.group('g').desiredCapacity).toBe(3);
  });

  it('faults are AwsFaults with AWS codes', () => {
    const { world } = setup();
    expect(() => world.group('x')).toThrow(AwsFault);
    world.createGroup({ name: 'g' });
    expect(() => world.createGroup({ name: 'g' })).toThrow(expect.objectContaining({ code: 'AlreadyExists' }));
    expect(() => world.deleteLifecycleHook('g', 'none')).toThrow(expect.objectContaining({ code: 'ValidationError' }));
    expect(() => world.recordHeartbeat('g', 'h', undefined, undefined)).toThrow(
      /Either LifecycleActionToken or InstanceId/,
    );
  });
});
