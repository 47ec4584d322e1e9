import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DescribeLifecycleHooksCommand, DescribeWarmPoolCommand } from '@aws-sdk/client-auto-scaling';
import { AwsErrorCode } from '../src/errors/aws-provider-error.js';
import { GROUP, GROUPS, HOOK, type Harness, MODEL, startHarness } from './aws-harness.js';

describe('AwsAutoScalingProvider: warm pool and lifecycle hook ensure', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 6, desiredCapacity: 1 });
  });
  afterEach(async () => h.close());

  it('creates a missing launching hook (heartbeat timeout, default ABANDON) and a missing warm pool', async () => {
    const p = h.provider();
    expect(await p.ensureGroup(MODEL)).toEqual({ hook: 'created', warmPool: 'created' });

    const hooks = await h.client.send(new DescribeLifecycleHooksCommand({ AutoScalingGroupName: GROUP }));
    expect(hooks.LifecycleHooks).toEqual([
      expect.objectContaining({
        LifecycleHookName: HOOK,
        AutoScalingGroupName: GROUP,
        LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
        HeartbeatTimeout: 120,
        DefaultResult: 'ABANDON',
      }),
    ]);
    const pool = await h.client.send(new DescribeWarmPoolCommand({ AutoScalingGroupName: GROUP }));
    expect(pool.WarmPoolConfiguration).toEqual({
      MinSize: 2,
      PoolState: 'Stopped',
      InstanceReusePolicy: { ReuseOnScaleIn: true },
    });
    // Pool = MaxSize (6) - desired (1), launched into Warmed:Pending and held by the hook.
    expect(pool.Instances).toHaveLength(5);
    h.fake.world.advance();
    const waiting = h.fake.world.group(GROUP).instances.filter((i) => i.lifecycleState === 'Warmed:Pending:Wait');
    expect(waiting).toHaveLength(5);
  });

  it('changes nothing when hook and pool already match (reads only)', async () => {
    await h.provider().ensureGroup(MODEL);
    const writesBefore = h.fake.requests.filter((r) => r.action.startsWith('Put')).length;
    const again = h.provider();
    expect(await again.ensureGroup(MODEL)).toEqual({ hook: 'ok', warmPool: 'ok' });
    expect(h.fake.requests.filter((r) => r.action.startsWith('Put')).length).toBe(writesBefore);
  });

  it('updates a warm pool and a hook whose settings differ from the config', async () => {
    h.fake.world.putWarmPool(GROUP, {
      minSize: 0,
      poolState: 'Running',
      reuseOnScaleIn: false,
      maxGroupPreparedCapacity: 3,
    });
    h.fake.world.putLifecycleHook(GROUP, HOOK, {
      transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      heartbeatTimeoutS: 3600,
      defaultResult: 'CONTINUE',
    });
    const p = h.provider();
    expect(await p.ensureGroup(MODEL)).toEqual({ hook: 'updated', warmPool: 'updated' });
    const put = h.fake.requestsOf('PutWarmPool')[0]!.params;
    expect(put).toMatchObject({
      MinSize: '2',
      PoolState: 'Stopped',
      'InstanceReusePolicy.ReuseOnScaleIn': 'true',
      MaxGroupPreparedCapacity: '-1',
    });
    const hook = h.fake.world.group(GROUP).hooks.get(HOOK)!;
    expect(hook).toMatchObject({ heartbeatTimeoutS: 120, defaultResult: 'ABANDON' });
    expect(h.fake.world.group(GROUP).warmPool).toMatchObject({
      minSize: 2,
      poolState: 'Stopped',
      reuseOnScaleIn: true,
      maxGroupPreparedCapacity: undefined,
    });
  });

  it('scale() ensures once per model, before its first SetDesiredCapacity', async () => {
    const p = h.provider();
    await p.scale({ model: MODEL, replicas: 2, idempotencyKey: 'a', reason: 'r', message: 'm' });
    await p.scale({ model: MODEL, replicas: 3, idempotencyKey: 'b', reason: 'r', message: 'm' });
    const actions = h.fake.requests.map((r) => r.action);
    expect(actions.filter((a) => a === 'DescribeLifecycleHooks')).toHaveLength(1);
    expect(actions.filter((a) => a === 'DescribeWarmPool')).toHaveLength(1);
    expect(actions.indexOf('PutLifecycleHook')).toBeLessThan(actions.indexOf('PutWarmPool'));
    expect(actions.indexOf('PutWarmPool')).toBeLessThan(actions.indexOf('SetDesiredCapacity'));
  });

  it('checks again once reensureAfterMs has passed, and puts back a hook someone deleted', async () => {
    const p = h.provider({ reensureAfterMs: 60_000 });
    await p.scale({ model: MODEL, replicas: 2, idempotencyKey: 'a', reason: 'r', message: 'm' });
    h.fake.world.deleteLifecycleHook(GROUP, HOOK);
    h.clock.advance(59_000);
    await p.scale({ model: MODEL, replicas: 3, idempotencyKey: 'b', reason: 'r', message: 'm' });
    expect(h.fake.world.group(GROUP).hooks.has(HOOK)).toBe(false);
    h.clock.advance(1_000);
    await p.scale({ model: MODEL, replicas: 4, idempotencyKey: 'c', reason: 'r', message: 'm' });
    expect(h.fake.world.group(GROUP).hooks.get(HOOK)).toMatchObject({
      heartbeatTimeoutS: 120,
      defaultResult: 'ABANDON',
    });
    expect(h.fake.requestsOf('PutLifecycleHook')).toHaveLength(2);
    expect(h.fake.requestsOf('PutWarmPool')).toHaveLength(1);
  });

  it('a group without warmPool/lifecycleHook in its config gets neither touched', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: GROUP } } });
    expect(await p.ensureGroup(MODEL)).toEqual({ hook: 'absent-from-config', warmPool: 'absent-from-config' });
    expect(h.fake.requests).toHaveLength(0);
  });

  it('a warm pool being deleted is E_AWS_WARM_POOL_DELETING; a failed ensure is retried on the next call', async () => {
    h.fake.world.putWarmPool(GROUP, { minSize: 1 });
    h.fake.world.deleteWarmPool(GROUP);
    const p = h.provider();
    const err = await p.ensureGroup(MODEL).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: AwsErrorCode.WarmPoolDeleting, group: GROUP });
    expect((err as Error).message).toMatch(/asg-llama.*PendingDelete/);
    h.fake.world.settle();
    expect(await p.ensureGroup(MODEL)).toEqual({ hook: 'ok', warmPool: 'created' });
  });

  it('rejects a bad groups config with every problem named at once', () => {
    expect(() =>
      h.provider({
        groups: {
          Llama: { groupName: '' },
          llama: {
            groupName: GROUP,
            warmPool: { minSize: -1, poolState: 'Frozen', maxGroupPreparedCapacity: 1.5 },
            lifecycleHook: { name: 'bad name!', heartbeatTimeoutS: 10, defaultResult: 'MAYBE' },
            extra: true,
          },
        },
      }),
    ).toThrow(
      expect.objectContaining({
        code: 'E_VALIDATION',
        issues: expect.arrayContaining([
          expect.objectContaining({ path: 'groups.Llama' }),
          expect.objectContaining({ path: 'groups.Llama.groupName' }),
          expect.objectContaining({ path: 'groups.llama.extra' }),
          expect.objectContaining({ path: 'groups.llama.warmPool.minSize', value: -1 }),
          expect.objectContaining({ path: 'groups.llama.warmPool.poolState', value: 'Frozen' }),
          expect.objectContaining({ path: 'groups.llama.warmPool.maxGroupPreparedCapacity', value: 1.5 }),
          expect.objectContaining({ path: 'groups.llama.lifecycleHook.name', value: 'bad name!' }),
          expect.objectContaining({
            path: 'groups.llama.lifecycleHook.heartbeatTimeoutS',
            value: 10,
            allowed: 'an integer in [30, 7200]',
          }),
          expect.objectContaining({ path: 'groups.llama.lifecycleHook.defaultResult', value: 'MAYBE' }),
        ]),
      }),
    );
    expect(GROUPS[MODEL].groupName).toBe(GROUP);
  });
});
