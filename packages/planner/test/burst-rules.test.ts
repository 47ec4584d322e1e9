import { describe, expect, it } from 'vitest';
import { ReasonCode, parseModelSpec, quantileForMissCost, type ForecastBand, type ModelSpec } from '@warmpool/domain';
import { BurstTracker, MIN_BURSTS, plan, type BurstOutlook, type Observation } from '../src/index.js';

const spec: ModelSpec = parseModelSpec({
  name: 'bursty',
  capacityPerReplicaPerS: 10,
  leadTime: { provisionS: 45, loadS: 0, warmupS: 0 },
  minWarmReplicas: 1,
  maxReplicas: 100,
  scaleDownStabilizationS: 0,
});

/** Bursts of `peak`/s for `lenS` seconds every `periodS` seconds, fed tick by tick (5-s ticks), quiet 0.5/s between. */
function feed(t: BurstTracker, fromS: number, toS: number, periodS: number, lenS: number, peak: number): void {
  for (let s = fromS; s < toS; s += 5) t.observe(s, (s - fromS) % periodS < lenS ? peak : 0.5);
}

const flat = (nowS: number, level: number): ForecastBand => {
  const v = Array.from({ length: 40 }, () => level);
  return {
    startS: nowS,
    stepS: 5,
    p50PerS: v,
    upperPerS: v,
    peakUpperPerS: v,
    quantile: 0.93,
    method: 'test',
    historySteps: 1000,
  };
};
const obs = (peakPerS: number, ready: number, warming = 0): Observation => ({
  demandPerS: peakPerS,
  peakPerS,
  readyReplicas: ready,
  warmingReplicas: warming,
});

describe('BurstTracker', () => {
  it('learns bursts, their peaks, lengths and gaps; not representative before MIN_BURSTS', () => {
    const t = new BurstTracker(10);
    feed(t, 0, 300 * (MIN_BURSTS - 1), 300, 20, 80);
    expect(t.outlook(300 * (MIN_BURSTS - 1), 45, 30, 0.5).bursts).toBeLessThan(MIN_BURSTS);
    feed(t, 300 * (MIN_BURSTS - 1), 300 * 20, 300, 20, 80);
    const o = t.outlook(300 * 20 - 5, 45, 30, 0.5);
    expect(o.bursts).toBeGreaterThanOrEqual(MIN_BURSTS);
    expect(o.inBurst).toBe(false);
  });

  it('keep-alive: holds the burst peak through a gap while the next burst may come within the lead time, pre-warms before a due one', () => {
    const t = new BurstTracker(10);
    const end = 300 * 20;
    feed(t, 0, end, 300, 20, 80); // last burst [5700, 5720), quiet since: the next one is due at 6000
    // Just after the burst: next burst is 280 s away, far beyond the 45-s lead: nothing worth holding.
    const early = t.outlook(end - 255, 45, 30, 0.5);
    expect(early.dueWithinLead).toBe(0);
    expect(early.keepReplicas).toBe(0);
    // 60 s before it is due: due after one lead time, so pre-warm 8 replicas (80/s at 10/s each).
    const before = t.outlook(end - 60, 45, 30, 0.5);
    expect(before.dueAfterLead).toBeGreaterThan(0.5);
    expect(before.preWarmReplicas).toBe(8);
    // 20 s before: due within the lead time: keep them.
    expect(t.outlook(end - 20, 45, 30, 0.5).keepReplicas).toBe(8);
    // A low miss cost holds nothing: the burst is short (20 s of a 45-s lead) and a replica-second costs more.
    expect(t.outlook(end - 20, 45, 1, 0.5).keepReplicas).toBe(0);
  });
});

describe('BurstTracker: no release the pre-warm would undo', () => {
  it('keeps, at every tick of a gap, at least what the pre-warm asks for (a release it would re-ask within a lead time is held)', () => {
    const t = new BurstTracker(10);
    // Bursts of 20 s at 60-120/s with gaps of 150-330 s (spread, so the due probabilities rise gradually).
    const gaps = [150, 330, 210, 270, 180, 300, 240, 160, 320, 200];
    let s = 0;
    for (let i = 0; i < 30; i++) {
      const peak = 60 + (i % 5) * 15;
      for (let k = 0; k < 20; k += 5, s += 5) t.observe(s, peak);
      const gap = gaps[i % gaps.length]!;
      for (let k = 0; k < gap; k += 5, s += 5) t.observe(s, 0.5);
    }
    let worstShortfall = 0;
    let sawPreWarm = false;
    for (let k = 0; k < 400; k += 1) {
      const o = t.outlook(s + k, 45, 30, 0.5);
      if (o.preWarmReplicas > 0) sawPreWarm = true;
      worstShortfall = Math.max(worstShortfall, o.preWarmReplicas - o.keepReplicas);
    }
    expect(sawPreWarm).toBe(true);
    expect(worstShortfall).toBe(0);
  });

  it('holds through the lead time before a pre-warm would ask again (60 s before a due burst: kept, not released)', () => {
    const t = new BurstTracker(10);
    feed(t, 0, 300 * 20, 300, 20, 80);
    const o = t.outlook(300 * 20 - 60, 45, 30, 0.5);
    expect(o.dueWithinLead).toBe(0);
    expect(o.preWarmReplicas).toBe(8);
    expect(o.keepReplicas).toBe(8);
  });
});

describe('plan with burst rules', () => {
  const outlook = (o: Partial<BurstOutlook>): BurstOutlook => ({
    bursts: 20,
    busyShare: 0.1,
    inBurst: false,
    keepReplicas: 0,
    preWarmReplicas: 0,
    panicCapReplicas: Number.POSITIVE_INFINITY,
    dueWithinLead: 0,
    dueAfterLead: 0,
    remainsAfterLead: Number.NaN,
    ...o,
  });
  const state = { recommendations: [{ atS: 0, replicas: 1 }], panicUntilS: Number.NEGATIVE_INFINITY, lastTarget: 8 };

  it('pre-warms ahead of a due burst (PreWarmForBurst)', () => {
    const r = plan(
      spec,
      obs(0.5, 1),
      flat(1000, 0.5),
      state,
      1000,
      undefined,
      undefined,
      outlook({ preWarmReplicas: 8, dueAfterLead: 0.9 }),
    );
    expect(r.decision.to).toBe(8);
    expect(r.reasons).toContain(ReasonCode.PreWarmForBurst);
  });

  it('keeps capacity between bursts while one may come within the lead time (KeepWarmForBurst), releases when it costs more (BurstKeepAliveExpired)', () => {
    const kept = plan(
      spec,
      obs(0.5, 8),
      flat(1000, 0.5),
      state,
      1000,
      undefined,
      undefined,
      outlook({ keepReplicas: 8, dueWithinLead: 0.9 }),
    );
    expect(kept.decision.to).toBe(8);
    expect(kept.reasons).toEqual([ReasonCode.KeepWarmForBurst]);
    const released = plan(
      spec,
      obs(0.5, 8),
      flat(1000, 0.5),
      state,
      1000,
      undefined,
      undefined,
      outlook({ keepReplicas: 0 }),
    );
    expect(released.decision.to).toBe(1);
    expect(released.reasons).toContain(ReasonCode.BurstKeepAliveExpired);
  });

  it('bounds the reaction to a burst under way to what will remain when new replicas are ready (BurstPanicBounded)', () => {
    // Observed 400/s with 4 ready: unbounded, the planner asks for 40 at once; the bursts end before 45 s.
    const free = plan(spec, obs(400, 4), flat(1000, 0.5), state, 1000);
    expect(free.decision.to).toBe(40);
    const r = plan(
      spec,
      obs(400, 4),
      flat(1000, 0.5),
      state,
      1000,
      undefined,
      undefined,
      outlook({ inBurst: true, panicCapReplicas: 14, keepReplicas: 14 }),
    );
    expect(r.decision.to).toBe(14);
    expect(r.reasons).toContain(ReasonCode.BurstPanicBounded);
  });

  it('leaves traffic without a representative burst history, or busy traffic, to the forecast rules', () => {
    const few = plan(
      spec,
      obs(400, 4),
      flat(1000, 0.5),
      state,
      1000,
      undefined,
      undefined,
      outlook({ bursts: MIN_BURSTS - 1, inBurst: true, panicCapReplicas: 14 }),
    );
    expect(few.decision.to).toBe(40);
    const busy = plan(
      spec,
      obs(400, 4),
      flat(1000, 0.5),
      state,
      1000,
      undefined,
      undefined,
      outlook({ busyShare: 0.9, inBurst: true, panicCapReplicas: 14 }),
    );
    expect(busy.decision.to).toBe(40);
  });
});

describe('risk knob: missCostServedRequests', () => {
  it('sets the band quantile 1 - 1 / missCost (and the release quantile from it), validated and named when bad', () => {
    const s = parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, missCostServedRequests: 100 });
    expect(s.missCostServedRequests).toBe(100);
    expect(s.upperQuantile).toBeCloseTo(0.99, 12);
    expect(s.releaseQuantile).toBeCloseTo(0.99, 12);
    expect(quantileForMissCost(1e9)).toBe(0.999);
    expect(() => parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, missCostServedRequests: 1 })).toThrow(
      /missCostServedRequests.*got 1.*\(2, 1000\]/s,
    );
    // 2 would be the median (quantile 0.5), which the band refuses; just above it is the cheapest setting
    expect(() => parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, missCostServedRequests: 2 })).toThrow(
      /missCostServedRequests.*got 2.*\(2, 1000\]/s,
    );
    const cheap = parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, missCostServedRequests: 2.1 });
    expect(cheap.upperQuantile).toBeCloseTo(1 - 1 / 2.1, 12);
    expect(cheap.upperQuantile).toBeGreaterThan(0.5);
    // the knob sets the release quantile too (not the 0.97 default, which would hold a near-median band 31x wider)
    expect(cheap.releaseQuantile).toBeCloseTo(1 - 1 / 2.1, 12);
    expect(parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, missCostServedRequests: 10 }).releaseQuantile).toBe(
      0.9,
    );
    // an explicit upperQuantile above the knob's keeps the release quantile at least as high; no knob: 0.97
    expect(
      parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, missCostServedRequests: 10, upperQuantile: 0.95 })
        .releaseQuantile,
    ).toBe(0.95);
    expect(parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1 }).releaseQuantile).toBe(0.97);
    // the band is not built at the median: a spec at 0.5 is refused where it is read, not when its forecaster is made
    expect(() => parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, upperQuantile: 0.5 })).toThrow(
      /upperQuantile.*got 0\.5.*\(0\.5, 0\.999\]/s,
    );
    expect(() => parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, missCostServedRequests: 'high' })).toThrow(
      /missCostServedRequests/,
    );
    expect(parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1 }).missCostServedRequests).toBeUndefined();
  });
});
