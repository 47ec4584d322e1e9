import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PutWarmPoolCommand, SetDesiredCapacityCommand } from '@aws-sdk/client-auto-scaling';
import { AwsCaller, type AwsRetryEvent } from '../src/aws-caller.js';
import { createAutoScalingClient } from '../src/auto-scaling-client.js';
import { AwsErrorCode, AwsProviderError } from '../src/errors/aws-provider-error.js';
import { Backoff, SeededRandom } from '@warmpool/domain';
import { GROUP, type Harness, MODEL, startHarness } from './aws-harness.js';

function req(replicas: number, key: string) {
  return { model: MODEL, replicas, idempotencyKey: key, reason: 'ForecastScaleAhead', message: `to ${replicas}` };
}
const PLAIN = { [MODEL]: { groupName: GROUP } };

describe('AwsAutoScalingProvider: throttling, 5xx, timeouts and bad parameters', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 8, desiredCapacity: 1 });
  });
  afterEach(async () => h.close());

  it('backs off on Throttling with jittered exponential delays, then succeeds', async () => {
    const retries: AwsRetryEvent[] = [];
    const p = h.provider({
      groups: PLAIN,
      retry: {
        maxAttempts: 5,
        baseDelayMs: 100,
        maxDelayMs: 250,
        random: () => 0.5,
        sleep: async (ms) => void h.sleeps.push(ms),
      },
      onRetry: (e) => retries.push(e),
    });
    h.fake.throttle(3, 'SetDesiredCapacity');
    await p.scale(req(3, 'k'));
    expect(h.fake.requestsOf('SetDesiredCapacity').map((r) => r.errorCode ?? r.statusCode)).toEqual([
      'Throttling',
      'Throttling',
      'Throttling',
      200,
    ]);
    // full jitter with random() = 0.5: half of min(250, 100 * 2^(n-1)).
    expect(h.sleeps).toEqual([50, 100, 125]);
    expect(retries.map((r) => [r.action, r.attempt, r.awsCode, r.group])).toEqual([
      ['SetDesiredCapacity', 1, 'Throttling', GROUP],
      ['SetDesiredCapacity', 2, 'Throttling', GROUP],
      ['SetDesiredCapacity', 3, 'Throttling', GROUP],
    ]);
    expect(h.fake.world.group(GROUP).desiredCapacity).toBe(3);
  });

  it('seeded jitter stays within the exponential caps and repeats for the same seed', async () => {
    const p = h.provider({ groups: PLAIN });
    h.fake.throttle(3);
    await p.getState(MODEL);
    expect(h.sleeps).toHaveLength(3);
    // harness: base 1 ms, max 2 ms, seed 42
    expect(h.sleeps[0]).toBeLessThan(1);
    expect(h.sleeps[1]).toBeLessThan(2);
    expect(h.sleeps[2]).toBeLessThan(2);
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    const seqA = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(seqA);
    expect(new Set(seqA).size).toBe(5);
    for (const x of seqA) expect(x >= 0 && x < 1).toBe(true);
    const again = new Backoff({ baseDelayMs: 1000, maxDelayMs: 8000, random: () => 0.999 });
    expect([1, 2, 3, 4, 5].map((n) => again.delayMs(n))).toEqual([999, 1998, 3996, 7992, 7992]);
  });

  it('throttling on every attempt is E_AWS_THROTTLED naming group, action, attempts, with the SDK error as cause', async () => {
    const p = h.provider({ groups: PLAIN });
    h.fake.throttle(10, 'SetDesiredCapacity');
    const err = await p.scale(req(3, 'k')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsProviderError);
    const e = err as AwsProviderError;
    expect(e).toMatchObject({
      code: AwsErrorCode.Throttled,
      group: GROUP,
      action: 'SetDesiredCapacity',
      awsCode: 'Throttling',
      attempts: 4,
    });
    expect(e.message).toMatch(
      /SetDesiredCapacity on Auto Scaling group asg-llama still throttled after 4 attempts: Throttling \(HTTP 400\): Rate exceeded/,
    );
    expect((e.cause as Error).name).toBe('Throttling');
    expect(h.fake.requestsOf('SetDesiredCapacity')).toHaveLength(4);
    expect(h.fake.world.group(GROUP).desiredCapacity).toBe(1);
  });

  it('retries 5xx (500, 503, ResourceContention) and succeeds', async () => {
    const p = h.provider({ groups: PLAIN });
    h.fake.failWith(500, 1, 'DescribeAutoScalingGroups');
    h.fake.failWith(503, 1, 'DescribeAutoScalingGroups');
    h.fake.failWith(500, 1, 'SetDesiredCapacity', 'ResourceContention');
    await p.scale(req(2, 'k'));
    expect(h.fake.requests.map((r) => `${r.action}:${r.errorCode ?? r.statusCode}`)).toEqual([
      'DescribeAutoScalingGroups:InternalFailure',
      'DescribeAutoScalingGroups:ServiceUnavailable',
      'DescribeAutoScalingGroups:200',
      'SetDesiredCapacity:ResourceContention',
      'SetDesiredCapacity:200',
    ]);
    expect(h.fake.world.group(GROUP).desiredCapacity).toBe(2);
  });

  it('5xx on every attempt is E_AWS_UNAVAILABLE with the status in the message', async () => {
    const p = h.provider({ groups: PLAIN });
    h.fake.failWith(503, 10);
    const err = await p.getState(MODEL).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: AwsErrorCode.Unavailable,
      group: GROUP,
      action: 'DescribeAutoScalingGroups',
      attempts: 4,
      awsCode: 'ServiceUnavailable',
    });
    expect((err as Error).message).toContain('HTTP 503');
  });

  it('a request that times out is retried, and a timeout on every attempt is E_AWS_UNAVAILABLE', async () => {
    const client = createAutoScalingClient({
      endpoint: h.fake.endpoint,
      credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'x' },
      requestTimeoutMs: 80,
    });
    try {
      const p = h.provider({ groups: PLAIN, client });
      h.fake.delay(400, 1, 'DescribeAutoScalingGroups');
      expect((await p.getState(MODEL)).desired).toBe(1);
      h.fake.delay(400, 4, 'DescribeAutoScalingGroups');
      const err = await p.getState(MODEL).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: AwsErrorCode.Unavailable, group: GROUP, attempts: 4 });
    } finally {
      client.destroy();
    }
  });

  it('ValidationError answers are not retried and come back as E_AWS_INVALID_REQUEST with the AWS message', async () => {
    const caller = new AwsCaller(new Backoff({ maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 }));
    const bad = (input: ConstructorParameters<typeof PutWarmPoolCommand>[0]) =>
      caller.call(GROUP, 'PutWarmPool', () => h.client.send(new PutWarmPoolCommand(input))).catch((e: unknown) => e);

    const state = await bad({ AutoScalingGroupName: GROUP, PoolState: 'Frozen' as never });
    expect(state).toMatchObject({
      code: AwsErrorCode.InvalidRequest,
      group: GROUP,
      action: 'PutWarmPool',
      awsCode: 'ValidationError',
      attempts: 1,
    });
    expect((state as Error).message).toContain(
      "PutWarmPool on Auto Scaling group asg-llama failed: ValidationError: 1 validation error detected: Value 'Frozen' at 'poolState' failed to satisfy constraint: Member must satisfy enum value set: [Stopped, Running, Hibernated]",
    );
    const range = await bad({ AutoScalingGroupName: GROUP, MinSize: 3, MaxGroupPreparedCapacity: 2 });
    expect((range as Error).message).toContain(
      'MaxGroupPreparedCapacity 2 must be greater than or equal to the warm pool MinSize 3',
    );
    const missing = await caller
      .call(GROUP, 'SetDesiredCapacity', () =>
        h.client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP } as never)),
      )
      .catch((e: unknown) => e);
    expect((missing as Error).message).toContain(
      "Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null",
    );
    const above = await caller
      .call(GROUP, 'SetDesiredCapacity', () =>
        h.client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: GROUP, DesiredCapacity: 9 })),
      )
      .catch((e: unknown) => e);
    expect((above as Error).message).toContain(
      'New SetDesiredCapacity value 9 is above max value 8 for the AutoScalingGroup.',
    );
    const noGroup = await caller
      .call('asg-nope', 'SetDesiredCapacity', () =>
        h.client.send(new SetDesiredCapacityCommand({ AutoScalingGroupName: 'asg-nope', DesiredCapacity: 1 })),
      )
      .catch((e: unknown) => e);
    expect(noGroup).toMatchObject({ code: AwsErrorCode.GroupNotFound, group: 'asg-nope' });
    expect(h.fake.requests.filter((r) => r.statusCode === 400)).toHaveLength(4 + 1);
  });

  it('an unparsable answer is a typed error, not a crash, and the next call works', async () => {
    const p = h.provider({ groups: PLAIN });
    h.fake.malformed(1, 'DescribeAutoScalingGroups');
    const err = await p.getState(MODEL).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AwsProviderError);
    expect(err).toMatchObject({
      code: AwsErrorCode.BadAnswer,
      group: GROUP,
      action: 'DescribeAutoScalingGroups',
      attempts: 1,
    });
    expect((err as Error).message).toMatch(
      /DescribeAutoScalingGroups on Auto Scaling group asg-llama: the answer could not be read: .*XML parse error/,
    );
    expect((await p.getState(MODEL)).desired).toBe(1);
  });

  it('a connection refused (fake gone) is retried, then E_AWS_UNAVAILABLE; nothing crashes', async () => {
    const p = h.provider({ groups: PLAIN });
    await h.fake.stop();
    const err = await p.getState(MODEL).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: AwsErrorCode.Unavailable, group: GROUP, attempts: 4 });
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });
});
