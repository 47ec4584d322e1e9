import { replicaProviderConformance } from '@warmpool/testing/conformance';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GROUP, HOOK, type Harness, MODEL, startHarness } from './aws-harness.js';

/** Plays the world forward: instances launch, and the warm-up agent on each completes its launching hook. */
function warmAll(h: Harness): void {
  h.fake.world.settle();
  h.fake.world.completeAllWaiting('CONTINUE', GROUP);
  h.fake.world.settle();
}

// The shared suite against the AWS provider, the Auto Scaling fake and the real SDK client, with and without a warm
// pool. The fake's clock is manual, so the fake moves only when the harness settles it.
for (const warmPool of [false, true]) {
  replicaProviderConformance(
    `aws auto scaling (fake Query API, real client${warmPool ? ', warm pool' : ''})`,
    async () => {
      const h = await startHarness();
      h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 6, desiredCapacity: 2 });
      const provider = h.provider(
        warmPool
          ? {}
          : { groups: { [MODEL]: { groupName: GROUP, lifecycleHook: { name: HOOK, heartbeatTimeoutS: 120 } } } },
      );
      // The hook (and pool) exist before the suite scales, as after a daemon's start-up check.
      await provider.ensureGroup(MODEL);
      warmAll(h);
      return {
        provider,
        model: MODEL,
        initialReplicas: 2,
        makeReplicasReady: async () => warmAll(h),
        settle: async () => h.fake.world.settle(),
        setDesiredOutOfBand: async (_model, replicas) => h.fake.world.setDesiredCapacity(GROUP, replicas, false),
        failReplica: async () => {
          const victim = h.fake.world
            .group(GROUP)
            .instances.find((i) => i.lifecycleState === 'InService' && i.healthStatus === 'Healthy');
          if (!victim) throw new Error('no InService instance to fail');
          h.fake.world.setHealth(victim.instanceId, 'Unhealthy');
          return victim.instanceId;
        },
        breakBackend: () => h.fake.failWith(500, 1_000_000),
        close: () => h.close(),
      };
    },
  );
}

describe('AwsAutoScalingProvider: replacing failed instances', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 6, desiredCapacity: 1 });
  });
  afterEach(async () => h.close());

  it('abandons the launching hook of an instance stuck in warm-up, terminates a failed InService one, and keeps the desired capacity', async () => {
    const provider = h.provider();
    await provider.scale({ model: MODEL, replicas: 3, idempotencyKey: 'up', reason: 'r', message: 'm' });
    h.fake.world.settle();
    const waiting = h.fake.world.group(GROUP).instances.filter((i) => i.lifecycleState === 'Pending:Wait');
    expect(waiting).toHaveLength(2);
    const inService = h.fake.world.group(GROUP).instances.find((i) => i.lifecycleState === 'InService')!;
    h.fake.world.setHealth(inService.instanceId, 'Unhealthy');
    const before = h.fake.requests.length;
    await provider.scale({
      model: MODEL,
      replicas: 3,
      idempotencyKey: 'replace-1',
      reason: 'ReplicaFailed',
      message: 'replace',
      replace: [
        { id: waiting[0]!.instanceId, reason: 'not ready past its deadline' },
        { id: inService.instanceId, reason: 'unhealthy' },
      ],
    });
    const calls = h.fake.requests.slice(before).filter((r) => r.action !== 'DescribeAutoScalingGroups');
    expect(
      calls.map((r) => [
        r.action,
        r.params['InstanceId'],
        r.params['LifecycleActionResult'] ?? r.params['ShouldDecrementDesiredCapacity'],
      ]),
    ).toEqual([
      ['CompleteLifecycleAction', waiting[0]!.instanceId, 'ABANDON'],
      ['TerminateInstanceInAutoScalingGroup', inService.instanceId, 'false'],
    ]);
    expect(h.fake.world.group(GROUP).desiredCapacity).toBe(3);
    expect(h.fake.world.instance(waiting[0]!.instanceId)?.lifecycleState).toBe('Terminating');
    // The group launched two replacements at once: five instances, three of them not leaving.
    const state = await provider.getState(MODEL);
    expect(state.replicas.filter((r) => r.phase !== 'draining' && r.phase !== 'failed')).toHaveLength(3);
    // Replayed with the same key: nothing more is ended.
    const n = h.fake.requests.length;
    await provider.scale({
      model: MODEL,
      replicas: 3,
      idempotencyKey: 'replace-1',
      reason: 'ReplicaFailed',
      message: 'replace',
      replace: [{ id: waiting[1]!.instanceId, reason: 'x' }],
    });
    expect(h.fake.requests.slice(n).filter((r) => r.action !== 'DescribeAutoScalingGroups')).toEqual([]);
  });

  it('an instance whose hook was completed meanwhile is terminated instead; one already gone is skipped', async () => {
    const provider = h.provider();
    await provider.scale({ model: MODEL, replicas: 2, idempotencyKey: 'up', reason: 'r', message: 'm' });
    h.fake.world.settle();
    const waiting = h.fake.world.group(GROUP).instances.find((i) => i.lifecycleState === 'Pending:Wait')!;
    // The provider reads the group (answer held back 300 ms) while the agent completes the hook: its ABANDON finds no
    // open action, so it terminates the instance instead.
    h.fake.delay(300, 1, 'DescribeAutoScalingGroups');
    const describes = h.fake.requestsOf('DescribeAutoScalingGroups').length;
    const replaced = provider.scale({
      model: MODEL,
      replicas: 2,
      idempotencyKey: 'replace-2',
      reason: 'ReplicaFailed',
      message: 'replace',
      replace: [
        { id: waiting.instanceId, reason: 'stuck' },
        { id: 'i-0000000000000dead', reason: 'gone' },
      ],
    });
    for (let i = 0; i < 500 && h.fake.requestsOf('DescribeAutoScalingGroups').length === describes; i++)
      await new Promise((r) => setTimeout(r, 10));
    h.fake.world.completeAllWaiting('CONTINUE', GROUP);
    await replaced;
    expect(h.fake.requestsOf('CompleteLifecycleAction').map((r) => [r.params['InstanceId'], r.statusCode])).toEqual([
      [waiting.instanceId, 400],
    ]);
    expect(h.fake.requestsOf('TerminateInstanceInAutoScalingGroup').map((r) => r.params['InstanceId'])).toEqual([
      waiting.instanceId,
    ]);
    expect(h.fake.world.instance(waiting.instanceId)?.lifecycleState).toBe('Terminating');
  });
});
