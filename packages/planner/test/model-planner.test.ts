import { describe, expect, it } from 'vitest';
import { parseModelSpec, type Forecaster, type ForecastBand, type StepObservation } from '@warmpool/domain';
import {
  DEFAULT_PLANNER_OPTIONS,
  LiveStepAggregator,
  ModelPlanner,
  plan,
  stepQuantile,
  INITIAL_PLANNER_STATE,
  type PlanResult,
} from '../src/index.js';

/** A forecaster that predicts the last observed step flat, with a fixed band: enough to check the wiring. */
class LastValueForecaster implements Forecaster {
  readonly name = 'last-value';
  private last: StepObservation | undefined;
  private n = 0;
  constructor(private readonly stepS: number) {}
  observe(step: StepObservation): void {
    this.last = step;
    this.n++;
  }
  forecast(h: number): ForecastBand {
    const v = this.last?.meanPerS ?? 0;
    const start = this.last ? this.last.startS + this.stepS : 0;
    const a = Array.from({ length: h }, () => v);
    return {
      startS: start,
      stepS: this.stepS,
      p50PerS: a,
      upperPerS: a.map((x) => x * 1.2),
      peakUpperPerS: a.map((x) => x * 1.5),
      quantile: 0.95,
      method: this.name,
      historySteps: this.n,
    };
  }
}

describe('LiveStepAggregator', () => {
  it('emits a step when its last second arrives, with mean rate and busiest second', () => {
    const agg = new LiveStepAggregator(5);
    const out: StepObservation[] = [];
    for (let t = 0; t < 4; t++) agg.addSecond(t, t + 1, out);
    expect(out).toEqual([]);
    agg.addSecond(4, 10, out);
    expect(out).toEqual([{ startS: 0, meanPerS: (1 + 2 + 3 + 4 + 10) / 5, peakPerS: 10 }]);
  });

  it('counts skipped seconds as zero and closes every step they span', () => {
    const agg = new LiveStepAggregator(2);
    const out = agg.addSecond(0, 4);
    expect(out).toEqual([]);
    const later = agg.addSecond(5, 6);
    expect(later).toEqual([
      { startS: 0, meanPerS: 2, peakPerS: 4 },
      { startS: 2, meanPerS: 0, peakPerS: 0 },
      { startS: 4, meanPerS: 3, peakPerS: 6 },
    ]);
  });

  it('rejects a non-integer step', () => {
    expect(() => new LiveStepAggregator(2.5)).toThrow(/stepS/);
  });
});

describe('ModelPlanner', () => {
  const spec = parseModelSpec({
    name: 'm',
    capacityPerReplicaPerS: 10,
    horizonS: 10,
    leadTime: { provisionS: 40, loadS: 0, warmupS: 5 },
  });

  it('makes exactly the decision the pure plan() makes on the same band and state', () => {
    const mp = new ModelPlanner({
      spec,
      stepS: 5,
      tickS: 5,
      makeForecaster: (_q, stepS) => new LastValueForecaster(stepS),
      planner: { minHistorySteps: 2 },
    });
    const twin = new LastValueForecaster(5);
    let state = INITIAL_PLANNER_STATE;
    for (let k = 0; k < 30; k++) {
      const step = { startS: k * 5, meanPerS: 20 + 10 * Math.sin(k / 3), peakPerS: 30 + 10 * Math.sin(k / 3) };
      mp.observeStep(step);
      twin.observe(step);
      const nowS = (k + 1) * 5;
      const obs = {
        demandPerS: step.meanPerS,
        peakPerS: step.peakPerS,
        readyReplicas: 4,
        warmingReplicas: 0,
        risePerS2: 0,
      };
      const got = mp.tick(nowS, obs);
      const want = plan(spec, obs, twin.forecast(Math.ceil((45 + 10) / 5) + 2), state, nowS, {
        ...DEFAULT_PLANNER_OPTIONS,
        minHistorySteps: 2,
      });
      state = want.nextState;
      expect(got).toEqual(want);
    }
  });

  it('asks the forecaster for the step quantile', () => {
    let asked = 0;
    const mp = new ModelPlanner({
      spec,
      stepS: 600,
      tickS: 5,
      makeForecaster: (q, stepS) => {
        asked = q;
        return new LastValueForecaster(stepS);
      },
    });
    expect(asked).toBeCloseTo(stepQuantile(0.93, 600, 45, 5));
    expect(mp.bandQuantile).toBeCloseTo(1 - 0.07 * (50 / 600));
  });
});

describe('stepQuantile', () => {
  it('is the spec quantile for steps within the lead time and rarer misses for coarse steps, capped at 0.999', () => {
    expect(stepQuantile(0.95, 5, 45, 5)).toBe(0.95);
    expect(stepQuantile(0.95, 50, 45, 5)).toBe(0.95);
    expect(stepQuantile(0.95, 100, 45, 5)).toBeCloseTo(0.975);
    expect(stepQuantile(0.95, 3600, 45, 5)).toBe(0.999);
  });
});

describe('ModelPlanner: a ramp inside a coarse step', () => {
  const spec = parseModelSpec({ name: 'm', capacityPerReplicaPerS: 10, minWarmReplicas: 0 });
  const flatBand = (level: number): Forecaster => ({
    name: 'flat',
    observe: () => undefined,
    forecast: (h) => ({
      startS: 0,
      stepS: 600,
      p50PerS: Array(h).fill(level),
      upperPerS: Array(h).fill(level),
      peakUpperPerS: Array(h).fill(level),
      quantile: 0.95,
      method: 'flat',
      historySteps: 100,
    }),
  });

  it('extrapolates a steady rise to the end of the window instead of planning the step as flat', () => {
    const mp = new ModelPlanner({ spec, stepS: 600, tickS: 5, makeForecaster: () => flatBand(10) });
    let r: PlanResult | undefined;
    for (let k = 0; k < 5; k++) {
      const level = 40 + k * 5; // +1 req/s per second, steadily
      r = mp.tick(100 + k * 5, { demandPerS: level, peakPerS: level, readyReplicas: 6, warmingReplicas: 0 });
    }
    // Last observed 60/s at t=120; window ends at 120 + 45 + 5: 60 + 2 x 1/s x 50 s = 160/s -> 16 replicas.
    expect(r!.decision.to).toBe(16);
  });

  it('does not extrapolate a single jump', () => {
    const mp = new ModelPlanner({ spec, stepS: 600, tickS: 5, makeForecaster: () => flatBand(10) });
    let r: PlanResult | undefined;
    for (const [k, level] of [40, 40, 40, 80, 80].entries())
      r = mp.tick(100 + k * 5, { demandPerS: level, peakPerS: level, readyReplicas: 8, warmingReplicas: 0 });
    expect(r!.decision.to).toBe(8);
  });
});
