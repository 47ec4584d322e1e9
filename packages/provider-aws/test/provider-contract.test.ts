import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WarmpoolError, type ReplicaProvider } from '@warmpool/domain';
import { AwsLifecycleRegistrar } from '../src/aws-lifecycle-registrar.js';
import { GROUP, HOOK, type Harness, MODEL, startHarness } from './aws-harness.js';

/**
 * The ReplicaProvider contract the shared conformance suite checks, run here against the AWS
 * provider and the fake: scale up/down visible in getState, a key applied once, readiness only
 * when the replica is warm, typed errors.
 */
describe('ReplicaProvider contract: AwsAutoScalingProvider', () => {
  let h: Harness;
  let provider: ReplicaProvider;
  let agent: AwsLifecycleRegistrar;

  /** Plays the world forward: instances launch, and the warm-up agent on each completes its hook. */
  async function warmAll(): Promise<void> {
    h.fake.world.settle();
    for (const a of h.fake.world.lifecycleActions()) {
      if (
        a.transition !== 'autoscaling:EC2_INSTANCE_LAUNCHING' ||
        h.fake.world.instance(a.instanceId)?.lifecycleState !== 'Pending:Wait'
      )
        continue;
      await agent.register({
        replicaId: a.instanceId,
        model: MODEL,
        url: 'http://127.0.0.1:9100',
        executionProvider: 'cpu',
      });
    }
    // Warm-pool instances (Warmed:Pending:Wait) are warmed by their agents too.
    h.fake.world.completeAllWaiting('CONTINUE', GROUP);
    h.fake.world.settle();
  }

  beforeEach(async () => {
    h = await startHarness();
    h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 5, desiredCapacity: 0 });
    provider = h.provider();
    agent = new AwsLifecycleRegistrar({ groupName: GROUP, hookName: HOOK, client: h.client });
  });
  afterEach(async () => h.close());

  it('has a name and starts from the group as it is', async () => {
    expect(provider.name).toBe('aws-autoscaling');
    expect(await provider.getState(MODEL)).toEqual({ model: MODEL, desired: 0, replicas: [] });
  });

  it('scale up: desired at once, replicas not ready until warm, then all ready', async () => {
    await provider.scale({
      model: MODEL,
      replicas: 3,
      idempotencyKey: 'up',
      reason: 'ForecastScaleAhead',
      message: 'spike at 12:00',
    });
    let s = await provider.getState(MODEL);
    expect(s.desired).toBe(3);
    expect(s.replicas.filter((r) => r.phase === 'ready')).toHaveLength(0);
    h.fake.world.settle();
    s = await provider.getState(MODEL);
    expect(s.replicas.map((r) => r.phase)).toEqual(['warming', 'warming', 'warming']);
    await warmAll();
    s = await provider.getState(MODEL);
    expect(s.replicas).toHaveLength(3);
    for (const r of s.replicas) {
      expect(r.phase).toBe('ready');
      expect(r.readyAtMs).toBeGreaterThanOrEqual(r.requestedAtMs);
    }
  });

  it('scale down: desired at once, replicas leave', async () => {
    await provider.scale({ model: MODEL, replicas: 3, idempotencyKey: 'up', reason: 'r', message: 'm' });
    await warmAll();
    await provider.scale({
      model: MODEL,
      replicas: 1,
      idempotencyKey: 'down',
      reason: 'ScaleDownStable',
      message: 'm',
    });
    expect((await provider.getState(MODEL)).desired).toBe(1);
    h.fake.world.settle();
    const s = await provider.getState(MODEL);
    expect(s.replicas.map((r) => r.phase)).toEqual(['ready']);
  });

  it('the same idempotency key is applied once', async () => {
    const request = { model: MODEL, replicas: 2, idempotencyKey: 'decision-42', reason: 'r', message: 'm' };
    await provider.scale(request);
    await provider.scale({ ...request, replicas: 2 });
    await provider.scale(request);
    expect(h.fake.requestsOf('SetDesiredCapacity')).toHaveLength(1);
  });

  it('errors are WarmpoolErrors with a code', async () => {
    h.fake.failWith(500, 20);
    const err = await provider.getState(MODEL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WarmpoolError);
    expect((err as WarmpoolError).code).toMatch(/^E_AWS_/);
    h.fake.clearFaults();
    const unknown = await provider.getState('no-such-model').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(WarmpoolError);
  });

  it('close() is safe to call', async () => {
    await provider.close();
  });
});
