import { describe, expect, it } from 'vitest';
import { ReasonCode, parseModelSpec, type ForecastBand } from '@warmpool/domain';
import {
  plan,
  releaseWidening,
  DEFAULT_PLANNER_OPTIONS,
  INITIAL_PLANNER_STATE,
  type PlannerState,
} from '../src/index.js';
import { band, obs, spec } from './plan-fixtures.js';

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
