import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ReplicaRegistration } from '@warmpool/domain';
import { AwsLifecycleRegistrar, type AwsLifecycleRegistrarOptions } from '../src/aws-lifecycle-registrar.js';
import { AwsErrorCode, AwsProviderError } from '../src/errors/aws-provider-error.js';
import { GROUP, HOOK, type Harness, MODEL, startHarness } from './aws-harness.js';

describe('AwsLifecycleRegistrar: the warm-up agent completing its launching hook', () => {
  let h: Harness;
  let instanceId: string;

  const registration = (id = instanceId): ReplicaRegistration => ({
    replicaId: id,
    model: MODEL,
    url: 'http://127.0.0.1:9100',
    executionProvider: 'cpu',
  });
  const registrar = (options: Partial<AwsLifecycleRegistrarOptions> = {}) =>
    new AwsLifecycleRegistrar({
      groupName: GROUP,
      hookName: HOOK,
      client: h.client,
      retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
      ...options,
    });
  const state = (id = instanceId) => h.fake.world.instance(id)?.lifecycleState;

  beforeEach(async () => {
    h = await startHarness();
    h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 4, desiredCapacity: 0 });
    h.fake.world.putLifecycleHook(GROUP, HOOK, {
      transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      heartbeatTimeoutS: 120,
      defaultResult: 'ABANDON',
    });
    h.fake.world.setDesiredCapacity(GROUP, 1, false);
    h.fake.world.advance();
    const [only] = h.fake.world.group(GROUP).instances;
    instanceId = only!.instanceId;
    expect(state()).toBe('Pending:Wait');
  });
  afterEach(async () => h.close());

  it('register() completes with CONTINUE and the instance goes InService', async () => {
    const r = registrar();
    await r.register(registration());
    expect(h.fake.requestsOf('CompleteLifecycleAction')[0]!.params).toMatchObject({
      AutoScalingGroupName: GROUP,
      LifecycleHookName: HOOK,
      InstanceId: instanceId,
      LifecycleActionResult: 'CONTINUE',
    });
    expect(state()).toBe('Pending:Proceed');
    h.fake.world.advance();
    expect(state()).toBe('InService');
    await r.close();
  });

  it('heartbeat() keeps the instance waiting past the heartbeat timeout; without it the default ABANDON applies', async () => {
    const r = registrar();
    h.clock.advance(100_000);
    await r.heartbeat(registration());
    h.clock.advance(100_000); // 200 s since launch, 100 s since the heartbeat
    h.fake.world.advance();
    expect(state()).toBe('Pending:Wait');
    h.clock.advance(30_000); // 130 s since the heartbeat > 120 s
    h.fake.world.advance();
    expect(state()).toBe('Terminating');
    // The group replaces the abandoned instance; it waits on the hook too.
    h.fake.world.settle();
    expect(state()).toBeUndefined();
    expect(h.fake.world.group(GROUP).instances.map((i) => i.lifecycleState)).toEqual(['Pending:Wait']);
  });

  it('fail() completes with ABANDON: the instance is terminated, never InService', async () => {
    const r = registrar();
    await r.fail(registration(), 'warm-up did not converge in 60 s');
    expect(h.fake.requestsOf('CompleteLifecycleAction')[0]!.params.LifecycleActionResult).toBe('ABANDON');
    expect(state()).toBe('Terminating');
    h.fake.world.advance();
    expect(state()).toBe('Terminated');
  });

  it('completes by lifecycle action token when configured with one', async () => {
    const [action] = h.fake.world.lifecycleActions();
    const r = registrar({ lifecycleActionToken: action!.token });
    await r.register(registration('i-00000000000000000'));
    const params = h.fake.requestsOf('CompleteLifecycleAction')[0]!.params;
    expect(params.LifecycleActionToken).toBe(action!.token);
    expect(params.InstanceId).toBeUndefined();
    expect(state()).toBe('Pending:Proceed');
  });

  it('a hook that is gone is E_AWS_LIFECYCLE_HOOK_GONE naming hook and group', async () => {
    h.fake.world.deleteLifecycleHook(GROUP, HOOK);
    const r = registrar();
    for (const call of [
      () => r.heartbeat(registration()),
      () => r.register(registration()),
      () => r.fail(registration(), 'x'),
    ]) {
      const err = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AwsProviderError);
      expect(err).toMatchObject({ code: AwsErrorCode.LifecycleHookGone, group: GROUP, awsCode: 'ValidationError' });
      expect((err as Error).message).toContain(
        `lifecycle hook ${HOOK} of Auto Scaling group ${GROUP} no longer exists`,
      );
      expect((err as AwsProviderError).cause).toBeInstanceOf(AwsProviderError);
    }
  });

  it('a group that is gone is also E_AWS_LIFECYCLE_HOOK_GONE', async () => {
    const r = registrar({ groupName: 'asg-deleted' });
    await expect(r.register(registration())).rejects.toMatchObject({
      code: AwsErrorCode.LifecycleHookGone,
      group: 'asg-deleted',
    });
  });

  it('completing twice (or after a timeout) is E_AWS_LIFECYCLE_ACTION_NOT_FOUND naming instance, hook and group', async () => {
    const r = registrar();
    await r.register(registration());
    const err = await r.register(registration()).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: AwsErrorCode.LifecycleActionNotFound,
      group: GROUP,
      action: 'CompleteLifecycleAction',
    });
    expect((err as Error).message).toContain(
      `no open lifecycle action for instance ${instanceId} on hook ${HOOK} of Auto Scaling group ${GROUP}`,
    );
    expect((err as Error).message).toContain(`No active Lifecycle Action found with instance ID ${instanceId}`);
  });

  it('retries a throttled heartbeat, then gives E_AWS_THROTTLED when it stays throttled', async () => {
    const r = registrar();
    h.fake.throttle(2, 'RecordLifecycleActionHeartbeat');
    await r.heartbeat(registration());
    expect(h.fake.requestsOf('RecordLifecycleActionHeartbeat').map((x) => x.statusCode)).toEqual([400, 400, 200]);
    h.fake.throttle(3, 'RecordLifecycleActionHeartbeat');
    await expect(r.heartbeat(registration())).rejects.toMatchObject({
      code: AwsErrorCode.Throttled,
      group: GROUP,
      action: 'RecordLifecycleActionHeartbeat',
    });
  });

  it('a replicaId that is not an instance id is a ValidationError before any call', async () => {
    const r = registrar();
    await expect(r.register(registration('replica-7'))).rejects.toMatchObject({
      code: 'E_VALIDATION',
      issues: [expect.objectContaining({ path: 'replicaId', value: 'replica-7' })],
    });
    await expect(registrar({ instanceId }).register(registration('replica-7'))).resolves.toBeUndefined();
    expect(h.fake.requestsOf('CompleteLifecycleAction')).toHaveLength(1);
  });

  it('deregister() calls nothing', async () => {
    const before = h.fake.requests.length;
    await registrar().deregister(registration());
    expect(h.fake.requests.length).toBe(before);
  });

  it('rejects bad options with every problem named', () => {
    expect(
      () =>
        new AwsLifecycleRegistrar({
          groupName: '',
          hookName: 'no spaces allowed',
          instanceId: 'vm-1',
          client: h.client,
        }),
    ).toThrow(
      expect.objectContaining({
        code: 'E_VALIDATION',
        issues: [
          expect.objectContaining({ path: 'groupName' }),
          expect.objectContaining({ path: 'hookName', value: 'no spaces allowed' }),
          expect.objectContaining({ path: 'instanceId', value: 'vm-1' }),
        ],
      }),
    );
  });
});
