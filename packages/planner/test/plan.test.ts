import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReasonCode, parseModelSpec, type ForecastBand, type ModelSpec } from '@warmpool/domain';
import {
  plan,
  releaseWidening,
  DEFAULT_PLANNER_OPTIONS,
  INITIAL_PLANNER_STATE,
  type Observation,
  type PlannerState,
} from '../src/index.js';

const spec: ModelSpec = parseModelSpec({
  name: 'llm',
  capacityPerReplicaPerS: 10,
  targetUtilization: 0.5,
  leadTime: { provisionS: 30, loadS: 10, warmupS: 5 },
  minWarmReplicas: 1,
  maxReplicas: 50,
  horizonS: 30,
  scaleDownStabilizationS: 60,
});

/** A flat band with an optional level change from `atS` on. */
function band(
  startS: number,
  stepS: number,
  steps: number,
  level: number,
  change?: { atS: number; level: number },
): ForecastBand {
  const values = Array.from({ length: steps }, (_, i) =>
    change && startS + i * stepS >= change.atS ? change.level : level,
  );
  return {
    startS,
    stepS,
    p50PerS: values,
    upperPerS: values,
    peakUpperPerS: values,
    quantile: 0.95,
    method: 'test',
    historySteps: 100,
  };
}

const obs = (peakPerS: number, ready: number, warming = 0): Observation => ({
  demandPerS: peakPerS,
  peakPerS,
  readyReplicas: ready,
  warmingReplicas: warming,
});

describe('plan: scale ahead', () => {
  it('provisions for a forecast spike before any demand is observed', () => {
    // now = 1000, lead 45 s, horizon 30 s: the window is [1045, 1075); demand jumps to 200/s at 1050.
    const r = plan(spec, obs(20, 2), band(1000, 5, 40, 20, { atS: 1050, level: 200 }), INITIAL_PLANNER_STATE, 1000);
    expect(r.decision.action).toBe('scale-up');
    expect(r.decision.to).toBe(20); // 200 / 10 per replica, full capacity: the band is the headroom
    expect(r.reasons).toContain(ReasonCode.ForecastScaleAhead);
    expect(r.decision.windowStartS).toBe(1045);
    expect(r.decision.windowEndS).toBe(1075);
    expect(r.decision.leadTimeS).toBe(45);
  });

  it('ignores a spike beyond the window (it will be planned on a later tick)', () => {
    const r = plan(spec, obs(20, 2), band(1000, 5, 60, 20, { atS: 1200, level: 200 }), INITIAL_PLANNER_STATE, 1000);
    expect(r.decision.to).toBe(2);
    expect(r.decision.action).toBe('hold');
    expect(r.reasons).toEqual([ReasonCode.Steady]);
  });

  it('uses a measured lead time over the spec when given', () => {
    const r = plan(
      spec,
      { ...obs(20, 2), measuredLeadTimeS: 100 },
      band(1000, 5, 60, 20, { atS: 1110, level: 200 }),
      INITIAL_PLANNER_STATE,
      1000,
    );
    expect(r.decision.leadTimeS).toBe(100);
    expect(r.decision.to).toBe(20);
  });

  it('uses the observed level for the step in progress (nowcast) instead of the band', () => {
    // 600-s steps: the band for the current step says 300/s, but the observed level is 50/s.
    const b: ForecastBand = { ...band(600, 600, 3, 300), historySteps: 100 };
    b.peakUpperPerS.length; // flat band
    const r = plan(
      spec,
      obs(50, 5),
      { ...b, p50PerS: [300, 60, 60], upperPerS: [300, 60, 60], peakUpperPerS: [300, 60, 60] },
      INITIAL_PLANNER_STATE,
      700,
    );
    expect(r.decision.to).toBe(5); // 50/s now; window [745, 775) lies in the current step
  });

  it('by default (no options) the next step is planned at least at the level the step in progress has shown', () => {
    // 60-s steps, window [660, 690) in the next step; the band (completed steps only) says 20/s, 30/s upper; observed
    // 80/s so far: the next step is planned at 80 + (30 - 20) = 90/s (9 replicas), not the band's 30/s.
    expect(DEFAULT_PLANNER_OPTIONS.nowcastAnchor).toBe('max');
    const b: ForecastBand = { ...band(600, 60, 4, 20), upperPerS: [30, 30, 30, 30], peakUpperPerS: [30, 30, 30, 30] };
    const r = plan(spec, obs(80, 8), b, INITIAL_PLANNER_STATE, 615);
    expect(r.decision.forecastUpperPerS).toBe(90);
    expect(r.decision.to).toBe(9);
  });

  it.each([
    { anchor: undefined, to: 6 },
    { anchor: 'off', to: 5 },
    { anchor: 'max', to: 6 },
  ] as const)(
    '60-s steps, nowcastAnchor $anchor: the next step re-anchored on the observed level -> $to',
    ({ anchor, to }) => {
      // Steps of 60 s from 600; now 615, lead 45 s, horizon 30 s: the window [660, 690) lies in the next step, forecast
      // (from completed steps only) at 20/s, 30/s upper. Observed now: 50/s, 30/s above the step's median, so the next
      // step re-anchored is 50 + (30 - 20) = 60/s: 6 replicas (max, the default). Off: the band's 3, the observed 5.
      const b: ForecastBand = { ...band(600, 60, 4, 20), upperPerS: [30, 30, 30, 30], peakUpperPerS: [30, 30, 30, 30] };
      const options =
        anchor === undefined ? DEFAULT_PLANNER_OPTIONS : { ...DEFAULT_PLANNER_OPTIONS, nowcastAnchor: anchor };
      const r = plan(spec, obs(50, 5), b, INITIAL_PLANNER_STATE, 615, options);
      expect(r.decision.to).toBe(to);
      expect(r.decision.forecastUpperPerS).toBe(anchor === 'off' ? 30 : 60);
    },
  );
});

describe('plan: reactive safety net', () => {
  it('panics when observed demand beats the forecast and the ready capacity: scales at once, holds', () => {
    const r = plan(spec, obs(100, 3), band(1000, 5, 40, 20), INITIAL_PLANNER_STATE, 1000);
    expect(r.reasons).toContain(ReasonCode.ReactivePanic);
    expect(r.decision.to).toBe(10); // 100 / 10 at full capacity
    expect(r.nextState.panicUntilS).toBe(1030);
  });

  it('with panic headroom, provisions the observed peak at the target utilization', () => {
    const opts = { ...DEFAULT_PLANNER_OPTIONS, panicHeadroom: true, panicHoldS: 60 };
    const r = plan(spec, obs(100, 3), band(1000, 5, 40, 20), INITIAL_PLANNER_STATE, 1000, opts);
    expect(r.decision.to).toBe(20); // 100 / (10 x 0.5)
    expect(r.nextState.panicUntilS).toBe(1060);
  });

  it('does not panic when the forecast was beaten but the ready replicas still cover the demand', () => {
    // a planner that has run before (a recommendation older than the stabilization window), so only panic could hold
    const ran = { ...INITIAL_PLANNER_STATE, recommendations: [{ atS: 0, replicas: 3 }] };
    const r = plan(spec, obs(27, 5), band(1000, 5, 40, 20), ran, 1000);
    expect(r.reasons).not.toContain(ReasonCode.ReactivePanic);
    expect(r.decision.to).toBe(3); // covers the observed 27/s; no panic hold keeps the spare replicas
    expect(r.nextState.panicUntilS).toBe(-Infinity);
  });

  it('a fresh planner does not release capacity on its first tick: scale-down waits one stabilization window', () => {
    // 5 ready, the observation (27/s) needs 3: the first tick holds 5, a tick after the window scales down
    const first = plan(spec, obs(27, 5), band(1000, 5, 40, 20), INITIAL_PLANNER_STATE, 1000);
    expect(first.decision.to).toBe(5);
    expect(first.reasons).toContain(ReasonCode.ScaleDownStabilizing);
    const later = plan(
      spec,
      obs(27, 5),
      band(1000 + spec.scaleDownStabilizationS + 1, 5, 40, 20),
      first.nextState,
      1000 + spec.scaleDownStabilizationS + 1,
    );
    expect(later.decision.to).toBe(3);
  });

  it('falls back to a reactive estimate with headroom without a forecast', () => {
    const r = plan(spec, obs(42, 1), null, INITIAL_PLANNER_STATE, 0);
    expect(r.reasons).toContain(ReasonCode.ReactiveFallback);
    expect(r.decision.to).toBe(9); // ceil(42 / 5)
    expect(Number.isNaN(r.decision.forecastUpperPerS)).toBe(true);
  });

  it('falls back when the forecaster has seen too little history', () => {
    const r = plan(spec, obs(42, 1), { ...band(0, 5, 40, 1000), historySteps: 3 }, INITIAL_PLANNER_STATE, 0);
    expect(r.reasons).toContain(ReasonCode.ReactiveFallback);
    expect(r.decision.to).toBe(9);
  });

  it('holds the current replicas when the observation is missing and no forecast exists', () => {
    const r = plan(
      spec,
      { demandPerS: Number.NaN, peakPerS: Number.NaN, readyReplicas: 4, warmingReplicas: 1 },
      null,
      INITIAL_PLANNER_STATE,
      0,
    );
    expect(r.decision.to).toBe(5);
    expect(r.reasons).toContain(ReasonCode.MissingObservation);
  });
});

describe('plan: scale down', () => {
  it('waits for the stabilization window, then scales down', () => {
    let state: PlannerState = INITIAL_PLANNER_STATE;
    // t=0: demand needs 10 replicas.
    let r = plan(spec, obs(100, 10), band(0, 5, 40, 100), state, 0);
    expect(r.decision.to).toBe(10);
    state = r.nextState;
    // Demand and forecast drop to 15/s: 2 replicas would do, but 10 were recommended within the last 60 s.
    for (let t = 5; t <= 60; t += 5) {
      r = plan(spec, obs(15, 10), band(t, 5, 40, 15), state, t);
      expect(r.decision.to).toBe(10);
      expect(r.reasons).toContain(ReasonCode.ScaleDownStabilizing);
      state = r.nextState;
    }
    r = plan(spec, obs(15, 10), band(65, 5, 40, 15), state, 65);
    expect(r.decision.action).toBe('scale-down');
    expect(r.decision.to).toBe(2);
    expect(r.reasons).toContain(ReasonCode.ScaleDownStable);
  });

  it('never drains capacity the forecast needs again within the lead time', () => {
    // Dip now, back to 100/s at now + 30 (inside the 45-s lead): releasing now could not come back in time.
    const state: PlannerState = { recommendations: [], panicUntilS: -Infinity, lastTarget: 10 };
    const b = band(1000, 5, 40, 20);
    const bump = b.p50PerS.map((v, i) => (i === 6 || i === 7 ? 100 : v)); // [1030, 1040): back to 100/s
    const r = plan(spec, obs(20, 10), { ...b, p50PerS: bump, upperPerS: bump, peakUpperPerS: bump }, state, 1000);
    expect(r.decision.to).toBe(10);
    expect(r.reasons).toContain(ReasonCode.KeepWarmForForecast);
  });

  it('keeps a replica while the band is within the hysteresis (a quarter replica) of needing it, where the forecast moves faster than a replica starts', () => {
    // 3 running, the stabilization window long past. 5-s steps, 45-s lead: the band moves faster than a replica starts.
    const state: PlannerState = { recommendations: [{ atS: 900, replicas: 3 }], panicUntilS: -Infinity, lastTarget: 3 };
    // 19/s needs 2 replicas of 10/s, but within 2.5/s (a quarter replica) of needing the third: kept.
    let r = plan(spec, obs(15, 3), band(1000, 5, 40, 19), state, 1000);
    expect(r.decision.to).toBe(3);
    expect(r.reasons).toEqual([ReasonCode.ScaleDownHysteresis]);
    expect(r.decision.message).toContain('hysteresis');
    // 17/s: more than a quarter replica below the boundary: released.
    r = plan(spec, obs(15, 3), band(1000, 5, 40, 17), state, 1000);
    expect(r.decision.to).toBe(2);
    expect(r.reasons).toContain(ReasonCode.ScaleDownStable);
    // The observed peak counts too: 19/s observed under a 17/s band keeps the third.
    r = plan(spec, obs(19, 3), band(1000, 5, 40, 17), state, 1000);
    expect(r.decision.to).toBe(3);
    // Off when set to 0.
    r = plan(spec, obs(15, 3), band(1000, 5, 40, 19), state, 1000, {
      ...DEFAULT_PLANNER_OPTIONS,
      scaleDownHysteresisReplicas: 0,
    });
    expect(r.decision.to).toBe(2);
  });

  it('holds a release to the release quantile: the band over the lead time, widened from its quantile, must clear the replica', () => {
    const state: PlannerState = { recommendations: [{ atS: 900, replicas: 3 }], panicUntilS: -Infinity, lastTarget: 3 };
    // Median 12/s, upper 18/s at q 0.93: two replicas of 10/s cover the band.
    const values = (v: number) => Array.from({ length: 40 }, () => v);
    const b: ForecastBand = {
      startS: 1000,
      stepS: 5,
      p50PerS: values(12),
      upperPerS: values(18),
      peakUpperPerS: values(18),
      quantile: 0.93,
      method: 'test',
      historySteps: 100,
    };
    const noHysteresis = { ...DEFAULT_PLANNER_OPTIONS, scaleDownHysteresisReplicas: 0 };
    expect(spec.releaseQuantile).toBe(0.97);
    // Off (the release quantile at the band's): released.
    expect(plan({ ...spec, releaseQuantile: 0.93 }, obs(10, 3), b, state, 1000, noHysteresis).decision.to).toBe(2);
    // At 0.99 the width above the median grows by probit(0.99) / probit(0.93) = 1.576: 12 + 6 x 1.576 = 21.5/s needs the third.
    let r = plan({ ...spec, releaseQuantile: 0.99 }, obs(10, 3), b, state, 1000, noHysteresis);
    expect(r.decision.to).toBe(3);
    expect(r.reasons).toEqual([ReasonCode.KeepWarmForForecast]);
    expect(r.decision.message).toContain('release band 21.44/s at q0.99 within the lead time');
    // At the default 0.97: 12 + 6 x 1.274 = 19.6/s: released.
    r = plan(spec, obs(10, 3), b, state, 1000, noHysteresis);
    expect(r.decision.to).toBe(2);
    expect(r.decision.message).toContain('release band 19.6');
    // With the default quarter-replica hysteresis, 19.6 + 2.5 needs the third: kept.
    expect(plan(spec, obs(10, 3), b, state, 1000).decision.to).toBe(3);
    // Scale-up is not affected: from 2 running it stays at 2.
    r = plan(
      { ...spec, releaseQuantile: 0.99 },
      obs(10, 2),
      b,
      { ...state, recommendations: [{ atS: 900, replicas: 2 }], lastTarget: 2 },
      1000,
      noHysteresis,
    );
    expect(r.decision.to).toBe(2);
    // Where the forecast step is longer than the lead time the window lies in the observed step (nowcast): no widening.
    const long: ForecastBand = {
      ...b,
      startS: 600,
      stepS: 600,
      p50PerS: values(12),
      upperPerS: values(18),
      peakUpperPerS: values(18),
    };
    r = plan({ ...spec, releaseQuantile: 0.99 }, obs(12, 3), long, state, 1000, noHysteresis);
    expect(r.decision.to).toBe(2);
  });

  it("widens the release band by the ratio of the quantiles' normal scores, and not at all where the release quantile is not higher", () => {
    expect(releaseWidening(0.93, 0.99)).toBeCloseTo(2.3263 / 1.4758, 2);
    expect(releaseWidening(0.93, 0)).toBe(1);
    expect(releaseWidening(0.93, 0.93)).toBe(1);
    expect(releaseWidening(0.93, 0.9)).toBe(1);
    expect(releaseWidening(0.5, 0.99)).toBe(1);
    expect(releaseWidening(0.93, 1)).toBe(1);
    expect(releaseWidening(Number.NaN, 0.99)).toBe(1);
  });

  it('applies no hysteresis where the forecast step is longer than the lead time (the band holds for a whole step)', () => {
    const state: PlannerState = { recommendations: [{ atS: 0, replicas: 3 }], panicUntilS: -Infinity, lastTarget: 3 };
    // 19/s observed and forecast for the whole 600-s step: within a quarter replica of the third, released all the same.
    const r = plan(spec, obs(19, 3), band(600, 600, 3, 19), state, 1000);
    expect(r.decision.to).toBe(2);
    expect(r.reasons).toContain(ReasonCode.ScaleDownStable);
  });

  it('does not release capacity asked for less than one lead time ago (it is still starting), even after a shorter stabilization window', () => {
    // Stabilization 10 s, lead 45 s (a compressed clock, or a slow start): a release after 10 s would drop a replica
    // that is still starting and ask for it again when the demand it was asked for arrives.
    const short = parseModelSpec({ ...spec, scaleDownStabilizationS: 10 });
    // t = 1000: the band says 60/s from 1050: 2 -> 6, asked.
    let r = plan(short, obs(15, 2), band(1000, 5, 40, 15, { atS: 1050, level: 60 }), INITIAL_PLANNER_STATE, 1000);
    expect(r.decision.to).toBe(6);
    let state = r.nextState;
    expect(state.asks).toEqual([{ atS: 1000, replicas: 6 }]);
    // The band falls back to 15/s a tick later and stays there: two replicas would do.
    const flat = (t: number) => band(t, 5, 40, 15);
    const held: number[] = [];
    for (let t = 1002; t <= 1044; t += 2) {
      r = plan(short, obs(15, 2, 4), flat(t), state, t);
      held.push(r.decision.to);
      if (t >= 1012) expect(r.reasons).toEqual([ReasonCode.KeepStartingCapacity]);
      state = r.nextState;
    }
    expect(held.every((n) => n === 6)).toBe(true);
    expect(r.decision.message).toContain('still starting');
    // One lead time after the ask, the release goes ahead (the stabilization window has long passed).
    r = plan(short, obs(15, 6), flat(1046), state, 1046);
    expect(r.decision.action).toBe('scale-down');
    expect(r.decision.to).toBe(2);
    expect(r.reasons).toContain(ReasonCode.ScaleDownStable);
    expect(r.nextState.asks).toEqual([]);
    // Past one lead time with a replica still warming (the lead time in use shorter than the start here): held up to
    // two lead times, then released all the same.
    r = plan(short, obs(15, 5, 1), flat(1046), state, 1046);
    expect(r.decision.to).toBe(6);
    expect(r.reasons).toEqual([ReasonCode.KeepStartingCapacity]);
    expect(plan(short, obs(15, 5, 1), flat(1089), state, 1089).decision.to).toBe(6);
    expect(plan(short, obs(15, 5, 1), flat(1091), state, 1091).decision.to).toBe(2);
    // The measured lead time is the one used: measured 20 s, the same ask is released from 1021 on.
    state = plan(short, obs(15, 2), band(1000, 5, 40, 15, { atS: 1050, level: 60 }), INITIAL_PLANNER_STATE, 1000, {
      ...DEFAULT_PLANNER_OPTIONS,
    }).nextState;
    const measured = (ready: number, warming: number) => ({ ...obs(15, ready, warming), measuredLeadTimeS: 20 });
    expect(plan(short, measured(2, 4), flat(1018), state, 1018).decision.to).toBe(6);
    expect(plan(short, measured(6, 0), flat(1022), state, 1022).decision.to).toBe(2);
  });

  it('a later, higher ask holds the higher target for its own lead time; a lower one does not lower it', () => {
    const short = parseModelSpec({ ...spec, scaleDownStabilizationS: 10 });
    const state: PlannerState = {
      recommendations: [{ atS: 990, replicas: 2 }],
      panicUntilS: -Infinity,
      lastTarget: 8,
      asks: [
        { atS: 960, replicas: 5 },
        { atS: 980, replicas: 8 },
      ],
    };
    // At 1010 the ask of 960 has aged out (50 s > 45 s); the one of 980 (8) still holds.
    let r = plan(short, obs(15, 8), band(1010, 5, 40, 15), state, 1010);
    expect(r.decision.to).toBe(8);
    expect(r.nextState.asks).toEqual([{ atS: 980, replicas: 8 }]);
    // At 1026 both have aged out.
    r = plan(short, obs(15, 8), band(1026, 5, 40, 15), state, 1026);
    expect(r.decision.to).toBe(2);
  });

  it('does not scale down while in panic', () => {
    const state: PlannerState = { recommendations: [], panicUntilS: 1030, lastTarget: 10 };
    const r = plan(spec, obs(1, 10), band(1000, 5, 40, 1), state, 1000);
    expect(r.decision.to).toBe(10);
    expect(r.reasons).toContain(ReasonCode.ReactivePanic);
  });
});

const arbObservation = fc.record({
  demandPerS: fc.oneof(fc.double({ min: 0, max: 5000, noNaN: true }), fc.constant(Number.NaN)),
  peakPerS: fc.oneof(fc.double({ min: 0, max: 5000, noNaN: true }), fc.constant(Number.NaN)),
  readyReplicas: fc.integer({ min: 0, max: 80 }),
  warmingReplicas: fc.integer({ min: 0, max: 20 }),
});
const arbBand = fc.option(
  fc.record({
    level: fc.double({ min: 0, max: 5000, noNaN: true }),
    spread: fc.double({ min: 0, max: 3, noNaN: true }),
    stepS: fc.constantFrom(1, 5, 60, 600, 3600),
    history: fc.integer({ min: 0, max: 500 }),
    offset: fc.integer({ min: -3600, max: 0 }),
  }),
  { nil: null },
);
const arbState = fc.record({
  recommendations: fc
    .array(fc.record({ atS: fc.integer({ min: 0, max: 1000 }), replicas: fc.integer({ min: 0, max: 80 }) }), {
      maxLength: 10,
    })
    .map((r) => [...r].sort((a, b) => a.atS - b.atS)),
  panicUntilS: fc.integer({ min: -1, max: 2000 }),
  lastTarget: fc.integer({ min: 0, max: 80 }),
});

function toBand(
  b: { level: number; spread: number; stepS: number; history: number; offset: number } | null,
  nowS: number,
): ForecastBand | null {
  if (!b) return null;
  const n = Math.ceil(200 / b.stepS) + 2;
  const p50 = Array.from({ length: n }, (_, i) => b.level * (1 + 0.1 * Math.sin(i)));
  return {
    startS: nowS + Math.max(b.offset, -b.stepS),
    stepS: b.stepS,
    p50PerS: p50,
    upperPerS: p50.map((v) => v * (1 + b.spread)),
    peakUpperPerS: p50.map((v) => v * (1 + 2 * b.spread)),
    quantile: 0.95,
    method: 'prop',
    historySteps: b.history,
  };
}

describe('plan: properties', () => {
  const known = new Set<string>(Object.values(ReasonCode));
  it('stays within [minWarm, max], always gives known reasons and a message, and is pure', () => {
    fc.assert(
      fc.property(arbObservation, arbBand, arbState, fc.integer({ min: 1000, max: 2000 }), (o, b, s, now) => {
        const forecast = toBand(b, now);
        const frozen = JSON.stringify({ o, forecast, s });
        const r1 = plan(spec, o, forecast, s, now);
        const r2 = plan(spec, o, forecast, s, now);
        expect(JSON.stringify(r1)).toBe(JSON.stringify(r2));
        expect(JSON.stringify({ o, forecast, s })).toBe(frozen); // inputs untouched
        const to = r1.decision.to;
        expect(Number.isInteger(to)).toBe(true);
        expect(to).toBeGreaterThanOrEqual(spec.minWarmReplicas);
        expect(to).toBeLessThanOrEqual(spec.maxReplicas);
        expect(r1.reasons.length).toBeGreaterThan(0);
        for (const reason of r1.reasons) expect(known.has(reason)).toBe(true);
        expect(r1.decision.message.length).toBeGreaterThan(0);
        expect(r1.decision.from).toBe(o.readyReplicas + o.warmingReplicas);
        const action = to > r1.decision.from ? 'scale-up' : to < r1.decision.from ? 'scale-down' : 'hold';
        expect(r1.decision.action).toBe(action);
      }),
      { numRuns: 500 },
    );
  });

  it('covers observed demand at full capacity whenever max replicas allow', () => {
    fc.assert(
      fc.property(arbObservation, arbBand, arbState, fc.integer({ min: 1000, max: 2000 }), (o, b, s, now) => {
        const r = plan(spec, o, toBand(b, now), s, now);
        if (Number.isFinite(o.peakPerS) && Number.isFinite(o.demandPerS)) {
          const need = Math.min(spec.maxReplicas, Math.ceil(o.peakPerS / spec.capacityPerReplicaPerS - 1e-9));
          expect(r.decision.to).toBeGreaterThanOrEqual(need);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('never scales down below the highest recommendation inside the stabilization window', () => {
    fc.assert(
      fc.property(arbObservation, arbBand, arbState, fc.integer({ min: 1000, max: 1050 }), (o, b, s, now) => {
        const r = plan(spec, o, toBand(b, now), s, now);
        if (r.decision.action === 'scale-down') {
          const inWindow = s.recommendations.filter((x) => x.atS >= now - spec.scaleDownStabilizationS);
          const maxRec = inWindow.reduce((m, x) => Math.max(m, x.replicas), 0);
          expect(r.decision.to).toBeGreaterThanOrEqual(Math.min(maxRec, r.decision.from, spec.maxReplicas));
        }
      }),
      { numRuns: 500 },
    );
  });
});
