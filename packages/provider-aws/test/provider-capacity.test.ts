import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsLifecycleRegistrar } from '../src/aws-lifecycle-registrar.js';
import { AwsErrorCode, AwsProviderError } from '../src/errors/aws-provider-error.js';
import { GROUP, HOOK, type Harness, MODEL, startHarness } from './aws-harness.js';

function req(replicas: number, key: string) {
  return { model: MODEL, replicas, idempotencyKey: key, reason: 'ForecastScaleAhead', message: `to ${replicas}` };
}

describe('AwsAutoScalingProvider: capacity and state through the real SDK', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 6, desiredCapacity: 1 });
  });
  afterEach(async () => h.close());

  it('reads desired capacity and a ready instance from DescribeAutoScalingGroups', async () => {
    const p = h.provider();
    const state = await p.getState(MODEL);
    expect(state.model).toBe(MODEL);
    expect(state.desired).toBe(1);
    expect(state.replicas).toHaveLength(1);
    expect(state.replicas[0]).toMatchObject({ phase: 'ready', requestedAtMs: h.clock.nowMs, readyAtMs: h.clock.nowMs });
    // getState only reads: no hook or warm pool is set up by it.
    expect([...h.fake.actionsCalled()]).toEqual(['DescribeAutoScalingGroups']);
  });

  it('scale-up is visible at once as desired, then provisioning -> warming on the hook -> ready when completed', async () => {
    const p = h.provider();
    const t0 = h.clock.nowMs;
    await p.scale(req(3, 'up-3'));
    expect(h.fake.requestsOf('SetDesiredCapacity').map((r) => r.params.DesiredCapacity)).toEqual(['3']);

    let state = await p.getState(MODEL);
    expect(state.desired).toBe(3);
    expect(state.replicas.map((r) => r.phase).sort()).toEqual(['provisioning', 'provisioning', 'ready']);

    h.clock.advance(5_000);
    h.fake.world.advance();
    state = await p.getState(MODEL);
    const warming = state.replicas.filter((r) => r.phase === 'warming');
    expect(warming).toHaveLength(2);
    for (const r of warming) expect(r.requestedAtMs).toBe(t0);
    for (const r of warming) expect(h.fake.world.instance(r.id)?.lifecycleState).toBe('Pending:Wait');

    // The warm-up agent completes the hook for one instance.
    h.clock.advance(20_000);
    h.fake.world.completeAction(GROUP, HOOK, 'CONTINUE', undefined, warming[0]!.id);
    h.fake.world.advance();
    state = await p.getState(MODEL);
    const now = state.replicas.find((r) => r.id === warming[0]!.id)!;
    expect(now.phase).toBe('ready');
    expect(now.readyAtMs).toBe(t0 + 25_000);
    expect(now.requestedAtMs).toBe(t0);
    expect(state.replicas.filter((r) => r.phase === 'ready')).toHaveLength(2);
  });

  it('scale-down is visible as desired and the removed instances drain or leave the group', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: GROUP } } });
    await p.scale(req(4, 'up-4'));
    h.fake.world.settle();
    expect((await p.getState(MODEL)).replicas.filter((r) => r.phase === 'ready')).toHaveLength(4);

    await p.scale(req(2, 'down-2'));
    let state = await p.getState(MODEL);
    expect(state.desired).toBe(2);
    expect(state.replicas.filter((r) => r.phase === 'draining')).toHaveLength(2);
    expect(state.replicas.filter((r) => r.phase === 'ready')).toHaveLength(2);
    h.fake.world.settle();
    state = await p.getState(MODEL);
    expect(state.replicas.map((r) => r.phase)).toEqual(['ready', 'ready']);
  });

  it('scale-in with ReuseOnScaleIn returns instances to the warm pool, and scale-out takes them back', async () => {
    const p = h.provider({
      groups: {
        [MODEL]: { groupName: GROUP, warmPool: { minSize: 1, maxGroupPreparedCapacity: 4, reuseOnScaleIn: true } },
      },
    });
    await p.scale(req(3, 'up-3'));
    h.fake.world.settle();
    const inService = (await p.getState(MODEL)).replicas.map((r) => r.id);
    expect(inService).toHaveLength(3);
    await p.scale(req(1, 'down-1'));
    h.fake.world.settle();
    const pool = h.fake.world
      .group(GROUP)
      .instances.filter((i) => i.lifecycleState === 'Warmed:Stopped')
      .map((i) => i.instanceId);
    expect(pool.length).toBe(3);
    expect(pool.filter((id) => inService.includes(id))).toHaveLength(2);
    const launchedBefore = h.fake.world.group(GROUP).instances.length;
    await p.scale(req(3, 'up-3-again'));
    expect(h.fake.world.group(GROUP).instances.length).toBe(launchedBefore);
    h.fake.world.settle();
    expect((await p.getState(MODEL)).replicas.filter((r) => r.phase === 'ready')).toHaveLength(3);
  });

  it('scale-out from a warmed pool: the pooled instance waits on the hook again, and goes InService when the agent completes it', async () => {
    const p = h.provider({
      groups: {
        [MODEL]: {
          groupName: GROUP,
          warmPool: { minSize: 1, maxGroupPreparedCapacity: 2 },
          lifecycleHook: { name: HOOK, heartbeatTimeoutS: 300 },
        },
      },
    });
    await p.ensureGroup(MODEL);
    h.fake.world.advance();
    expect(h.fake.world.completeAllWaiting('CONTINUE', GROUP)).toBe(1); // warmed once, on entering the pool
    h.fake.world.settle();
    const pooled = h.fake.world.group(GROUP).instances.find((i) => i.lifecycleState === 'Warmed:Stopped')!;
    expect(pooled).toBeDefined();

    await p.scale(req(2, 'up-from-pool'));
    expect(h.fake.world.instance(pooled.instanceId)?.lifecycleState).toBe('Pending');
    h.fake.world.advance();
    let replica = (await p.getState(MODEL)).replicas.find((r) => r.id === pooled.instanceId)!;
    expect(replica.phase).toBe('warming');

    const agent = new AwsLifecycleRegistrar({ groupName: GROUP, hookName: HOOK, client: h.client });
    await agent.register({
      replicaId: pooled.instanceId,
      model: MODEL,
      url: 'http://127.0.0.1:9100',
      executionProvider: 'cuda',
    });
    h.fake.world.advance();
    replica = (await p.getState(MODEL)).replicas.find((r) => r.id === pooled.instanceId)!;
    expect(replica.phase).toBe('ready');
    expect(h.fake.world.instance(pooled.instanceId)?.lifecycleState).toBe('InService');
  });

  it('an unhealthy InService instance is failed, not ready', async () => {
    const p = h.provider();
    const [only] = (await p.getState(MODEL)).replicas;
    h.fake.world.setHealth(only!.id, 'Unhealthy');
    expect((await p.getState(MODEL)).replicas[0]!.phase).toBe('failed');
  });

  it('a desired capacity outside [MinSize, MaxSize] is a typed error naming the group, with no SetDesiredCapacity', async () => {
    const p = h.provider();
    const err = await p.scale(req(7, 'too-many')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsProviderError);
    expect(err).toMatchObject({ code: AwsErrorCode.CapacityOutOfRange, group: GROUP });
    expect((err as Error).message).toContain(GROUP);
    expect((err as Error).message).toContain('[0, 6]');
    expect(h.fake.requestsOf('SetDesiredCapacity')).toHaveLength(0);
  });

  it('a missing group is E_AWS_GROUP_NOT_FOUND for getState and scale', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: 'asg-missing' } } });
    await expect(p.getState(MODEL)).rejects.toMatchObject({ code: AwsErrorCode.GroupNotFound, group: 'asg-missing' });
    await expect(p.scale(req(2, 'k'))).rejects.toMatchObject({
      code: AwsErrorCode.GroupNotFound,
      group: 'asg-missing',
    });
  });

  it('an unknown model is a typed error listing the configured models', async () => {
    const p = h.provider();
    await expect(p.getState('mistral')).rejects.toMatchObject({ code: AwsErrorCode.UnknownModel });
    await expect(p.scale({ ...req(1, 'k'), model: 'mistral' })).rejects.toThrow(
      /no Auto Scaling group configured for model mistral \(configured: llama\)/,
    );
  });

  it('HonorCooldown: a second change inside the group cooldown is E_AWS_SCALING_IN_PROGRESS; after it, it goes through', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: GROUP, honorCooldown: true } } });
    await p.scale(req(2, 'a'));
    expect(h.fake.requestsOf('SetDesiredCapacity')[0]!.params.HonorCooldown).toBe('true');
    const err = await p.scale(req(3, 'b')).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: AwsErrorCode.ScalingInProgress,
      awsCode: 'ScalingActivityInProgress',
      group: GROUP,
      action: 'SetDesiredCapacity',
    });
    h.clock.advance(301_000);
    await p.scale(req(3, 'b'));
    expect((await p.getState(MODEL)).desired).toBe(3);
  });

  it('rejects a malformed request before calling AWS', async () => {
    const p = h.provider();
    await expect(p.scale(req(-1, 'neg'))).rejects.toMatchObject({ code: 'E_VALIDATION' });
    await expect(p.scale(req(1.5, 'frac'))).rejects.toMatchObject({ code: 'E_VALIDATION' });
    await expect(p.scale(req(2, ''))).rejects.toMatchObject({ code: 'E_VALIDATION' });
    expect(h.fake.requests).toHaveLength(0);
  });
});
