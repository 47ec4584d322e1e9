import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsErrorCode } from '../src/errors/aws-provider-error.js';
import { GROUP, type Harness, MODEL, startHarness } from './aws-harness.js';

function req(replicas: number, key: string) {
  return { model: MODEL, replicas, idempotencyKey: key, reason: 'ForecastScaleAhead', message: `to ${replicas}` };
}

describe('AwsAutoScalingProvider: idempotency keys', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 8, desiredCapacity: 1 });
  });
  afterEach(async () => h.close());

  const sets = () => h.fake.requestsOf('SetDesiredCapacity').length;

  it('applies a key once, even after the group was changed by someone else in between', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: GROUP } } });
    await p.scale(req(4, 'decision-1'));
    expect(sets()).toBe(1);
    // Someone scales the group back; a replay of the same decision must not re-apply it.
    h.fake.world.setDesiredCapacity(GROUP, 2, false);
    await p.scale(req(4, 'decision-1'));
    expect(sets()).toBe(1);
    expect((await p.getState(MODEL)).desired).toBe(2);
  });

  it('a new key with the desired capacity already there sends no SetDesiredCapacity (restarted daemon)', async () => {
    const first = h.provider({ groups: { [MODEL]: { groupName: GROUP } } });
    await first.scale(req(3, 'decision-7'));
    expect(sets()).toBe(1);
    const restarted = h.provider({ groups: { [MODEL]: { groupName: GROUP } } });
    await restarted.scale(req(3, 'decision-7'));
    expect(sets()).toBe(1);
  });

  it('concurrent requests with one key make one SetDesiredCapacity', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: GROUP } } });
    h.fake.delay(30, 1, 'SetDesiredCapacity');
    await Promise.all([p.scale(req(5, 'k')), p.scale(req(5, 'k')), p.scale(req(5, 'k'))]);
    expect(sets()).toBe(1);
    expect(h.fake.world.group(GROUP).desiredCapacity).toBe(5);
  });

  it('the same key with a different target is E_AWS_IDEMPOTENCY_CONFLICT', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: GROUP } } });
    await p.scale(req(3, 'k'));
    await expect(p.scale(req(4, 'k'))).rejects.toMatchObject({ code: AwsErrorCode.IdempotencyConflict, group: GROUP });
    expect(sets()).toBe(1);
  });

  it('a key whose apply failed is not recorded: the retry applies it', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: GROUP } }, retry: { maxAttempts: 1 } });
    h.fake.failWith(500, 1, 'SetDesiredCapacity');
    await expect(p.scale(req(4, 'k'))).rejects.toMatchObject({ code: AwsErrorCode.Unavailable });
    expect(h.fake.world.group(GROUP).desiredCapacity).toBe(1);
    await p.scale(req(4, 'k'));
    expect(h.fake.world.group(GROUP).desiredCapacity).toBe(4);
    expect(h.fake.requestsOf('SetDesiredCapacity').map((r) => r.statusCode)).toEqual([500, 200]);
  });

  it('forgets the oldest keys past the configured bound', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: GROUP } }, idempotencyKeysKept: 2 });
    await p.scale(req(2, 'a'));
    await p.scale(req(3, 'b'));
    await p.scale(req(4, 'c'));
    h.fake.world.setDesiredCapacity(GROUP, 1, false);
    await p.scale(req(2, 'a')); // forgotten: applied again
    await p.scale(req(4, 'c')); // remembered: not applied
    expect(h.fake.requestsOf('SetDesiredCapacity').map((r) => r.params.DesiredCapacity)).toEqual(['2', '3', '4', '2']);
  });
});
