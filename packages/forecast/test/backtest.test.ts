import type { ForecastBand, Forecaster, StepObservation } from '@warmpool/domain';
import { ValidationError } from '@warmpool/domain';
import { describe, expect, it } from 'vitest';
import { backtest, pinballLoss } from '../src/backtest.js';
import { bandMaxOver, horizonStepsUntil } from '../src/band-window.js';
import { createForecaster } from '../src/forecaster-registry.js';
import { aggregateSteps } from '../src/step-aggregator.js';

/** A forecaster with a fixed band, to hand-check the metrics. */
class FixedForecaster implements Forecaster {
  readonly name = 'fixed';
  observe(_s: StepObservation): void {}
  forecast(h: number): ForecastBand {
    return {
      startS: 0,
      stepS: 60,
      p50PerS: Array(h).fill(10),
      upperPerS: Array(h).fill(12),
      peakUpperPerS: Array(h).fill(15),
      quantile: 0.9,
      method: 'fixed',
      historySteps: 0,
    };
  }
}

describe('backtest', () => {
  const series: StepObservation[] = [
    { startS: 0, meanPerS: 10, peakPerS: 10 },
    { startS: 60, meanPerS: 20, peakPerS: 20 },
    { startS: 120, meanPerS: 0, peakPerS: 0 },
    { startS: 180, meanPerS: NaN, peakPerS: NaN },
    { startS: 240, meanPerS: 8, peakPerS: 16 },
  ];

  it('hand-checked metrics for a fixed band, horizon 1', () => {
    const r = backtest(series, () => new FixedForecaster(), { horizonSteps: 1, quantile: 0.9 });
    const m = r.forecasters[0]!;
    // scored: 10, 20, 0, 8 (the NaN gap is not scored)
    expect(m.name).toBe('fixed');
    expect(m.points).toBe(4);
    // APE on non-zero actuals: 0, 0.5, 0.25
    expect(m.mape).toBeCloseTo(0.75 / 3, 12);
    // pinball at 0.9 vs upper 12: (12-10)*0.1, (20-12)*0.9, (12-0)*0.1, (12-8)*0.1
    expect(m.pinballLoss).toBeCloseTo((0.2 + 7.2 + 1.2 + 0.4) / 4, 12);
    expect(m.relativePinballLoss).toBeCloseTo(m.pinballLoss / (38 / 4), 12);
    expect(m.underForecastRate).toBe(0.25);
    expect(m.coverage).toBe(0.75);
    // peaks 10, 20, 0, 16 vs 15: two misses
    expect(m.peakUnderForecastRate).toBe(0.5);
    expect(m.peakCoverage).toBe(0.5);
    expect(m.peakUpperToActual).toBeCloseTo(60 / 46, 12);
    expect(r.baseline.name).toBe('seasonal-naive');
    expect(r.baseline.baseline).toBe(true);
    expect(r.quantile).toBe(0.9);
  });

  it('pools every step ahead up to the horizon, within the series', () => {
    const r = backtest(series, { a: () => new FixedForecaster(), b: () => new FixedForecaster() }, { horizonSteps: 3 });
    expect(r.forecasters.map((m) => m.name)).toEqual(['a', 'b']);
    // targets from t=0: 0,1,2; t=1: 1,2,(3 gap); t=2: 2,(3),4; t=3: (3),4; t=4: 4
    expect(r.forecasters[0]!.points).toBe(3 + 2 + 2 + 1 + 1);
  });

  it('warm-up steps are fed but not scored', () => {
    const r = backtest(series, () => new FixedForecaster(), { horizonSteps: 1, warmupSteps: 2 });
    expect(r.forecasters[0]!.points).toBe(2);
  });

  it('rejects a bad quantile or horizon with a ValidationError', () => {
    expect(() => backtest(series, () => new FixedForecaster(), { horizonSteps: 1, quantile: 1.2 })).toThrow(
      ValidationError,
    );
    expect(() => backtest(series, () => new FixedForecaster(), { horizonSteps: -2 })).toThrow(/horizonSteps/);
  });

  it('pinball loss', () => {
    expect(pinballLoss(10, 8, 0.95)).toBeCloseTo(1.9, 12);
    expect(pinballLoss(8, 10, 0.95)).toBeCloseTo(0.1, 12);
    expect(pinballLoss(5, 5, 0.5)).toBe(0);
  });
});

describe('aggregateSteps', () => {
  it('groups 1-s bins into 5-s steps: mean rate and busiest second', () => {
    const s = aggregateSteps([1, 0, 4, 2, 3, 10, 0, 0, 0, 0, 7], 1);
    expect(s).toEqual([
      { startS: 0, meanPerS: 2, peakPerS: 4 },
      { startS: 5, meanPerS: 2, peakPerS: 10 },
      { startS: 10, meanPerS: 7, peakPerS: 7 },
    ]);
  });

  it('keeps 60-s bins as steps with peak == mean (rate per second)', () => {
    expect(aggregateSteps([120, 60], 60, { startS: 600 })).toEqual([
      { startS: 600, meanPerS: 2, peakPerS: 2 },
      { startS: 660, meanPerS: 1, peakPerS: 1 },
    ]);
  });

  it('3-s bins become 6-s steps; NaN bins are gaps', () => {
    const s = aggregateSteps([3, 6, NaN, NaN, 9], 3);
    expect(s[0]).toEqual({ startS: 0, meanPerS: 1.5, peakPerS: 2 });
    expect(Number.isNaN(s[1]!.meanPerS)).toBe(true);
    expect(s[2]).toEqual({ startS: 12, meanPerS: 3, peakPerS: 3 });
  });

  it('rejects a bad bin width', () => {
    expect(() => aggregateSteps([1], 0)).toThrow(ValidationError);
    expect(() => aggregateSteps([1], NaN)).toThrow(/binS/);
  });
});

describe('band windows', () => {
  const band: ForecastBand = {
    startS: 100,
    stepS: 10,
    p50PerS: [1, 2, 3, 4],
    upperPerS: [2, 3, 4, 5],
    peakUpperPerS: [5, 9, 4, 6],
    quantile: 0.95,
    method: 't',
    historySteps: 1,
  };

  it('max over the steps overlapping [from, to)', () => {
    expect(bandMaxOver(band, 100, 110)).toBe(5); // step 0 only
    expect(bandMaxOver(band, 105, 115)).toBe(9); // steps 0 and 1
    expect(bandMaxOver(band, 120, 140)).toBe(6); // steps 2 and 3
    expect(bandMaxOver(band, 120, 140, 'upperPerS')).toBe(5);
    expect(bandMaxOver(band, 130, 500)).toBe(6); // past the end: last step
    expect(bandMaxOver(band, 0, 50)).toBe(5); // before the start: first step
    expect(bandMaxOver({ ...band, peakUpperPerS: [] }, 0, 50)).toBe(0);
  });

  it('steps needed to reach a time', () => {
    expect(horizonStepsUntil(100, 10, 100)).toBe(0);
    expect(horizonStepsUntil(100, 10, 101)).toBe(1);
    expect(horizonStepsUntil(100, 5, 100 + 45 + 60)).toBe(21);
    expect(() => horizonStepsUntil(100, 0, 200)).toThrow(ValidationError);
  });
});

describe('forecast caching', () => {
  it('returns the same frozen band until the next observation', () => {
    const f = createForecaster('ensemble', { minHistorySteps: 2 });
    for (let i = 0; i < 5; i++) f.observe({ startS: i * 60, meanPerS: 3, peakPerS: 3 });
    const a = f.forecast(4);
    expect(f.forecast(4)).toBe(a);
    expect(Object.isFrozen(a) && Object.isFrozen(a.peakUpperPerS)).toBe(true);
    expect(f.forecast(5)).not.toBe(a);
    f.observe({ startS: 300, meanPerS: 30, peakPerS: 30 });
    const b = f.forecast(4);
    expect(b).not.toBe(a);
    expect(b.p50PerS[0]!).toBeGreaterThan(a.p50PerS[0]!);
  });
});
