import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ReasonCode, type ForecastBand } from '@warmpool/domain';
import { plan, DEFAULT_PLANNER_OPTIONS, INITIAL_PLANNER_STATE } from '../src/index.js';
import { band, obs, spec } from './plan-fixtures.js';

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
