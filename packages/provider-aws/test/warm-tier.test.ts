import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { poolStateForTier } from '../src/warm-tier-pool-state.js';
import { GROUP, type Harness, MODEL, startHarness } from './aws-harness.js';

describe('warmth tiers that act on AWS: the tier sets the warm pool state', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 6, desiredCapacity: 1 });
  });
  afterEach(async () => h.close());

  it('maps gpu to Running, host to Hibernated only where the configured pool hibernates, cold to Stopped', () => {
    const stopped = {
      minSize: 1,
      maxGroupPreparedCapacity: undefined,
      poolState: 'Stopped' as const,
      reuseOnScaleIn: true,
    };
    const hibernated = { ...stopped, poolState: 'Hibernated' as const };
    expect([
      poolStateForTier('gpu', stopped),
      poolStateForTier('host', stopped),
      poolStateForTier('cold', stopped),
    ]).toEqual(['Running', 'Stopped', 'Stopped']);
    expect([
      poolStateForTier('gpu', hibernated),
      poolStateForTier('host', hibernated),
      poolStateForTier('cold', hibernated),
    ]).toEqual(['Running', 'Hibernated', 'Stopped']);
  });

  it('writes the pool state at once, only when it differs, and later ensures keep it', async () => {
    const p = h.provider();
    await p.ensureGroup(MODEL);
    expect(await p.setWarmTier(MODEL, 'gpu')).toEqual({ poolState: 'Running', changed: true });
    expect(h.fake.world.group(GROUP).warmPool).toMatchObject({ poolState: 'Running', minSize: 2 });
    const puts = h.fake.requestsOf('PutWarmPool').length;
    expect(await p.setWarmTier(MODEL, 'gpu')).toEqual({ poolState: 'Running', changed: false });
    expect(h.fake.requestsOf('PutWarmPool')).toHaveLength(puts);
    // a scale later re-ensures with the tier's state, not the config's Stopped
    h.clock.advance(11 * 60_000);
    await p.scale({ model: MODEL, replicas: 2, idempotencyKey: 'k', reason: 'r', message: 'm' });
    expect(h.fake.world.group(GROUP).warmPool).toMatchObject({ poolState: 'Running' });
    expect(await p.setWarmTier(MODEL, 'cold')).toEqual({ poolState: 'Stopped', changed: true });
    expect(h.fake.world.group(GROUP).warmPool).toMatchObject({ poolState: 'Stopped' });
  });

  it('a group without a warm pool has nothing to set', async () => {
    const p = h.provider({ groups: { [MODEL]: { groupName: GROUP } } });
    expect(await p.setWarmTier(MODEL, 'gpu')).toEqual({ poolState: undefined, changed: false });
    expect(h.fake.requestsOf('PutWarmPool')).toHaveLength(0);
  });
});
