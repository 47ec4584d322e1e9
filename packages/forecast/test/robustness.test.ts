import type { ForecastBand, StepObservation } from '@warmpool/domain';
import { ValidationError } from '@warmpool/domain';
import { describe, expect, it } from 'vitest';
import type { EnsembleForecaster } from '../src/ensemble-forecaster.js';
import { FORECASTER_NAMES, createForecaster } from '../src/forecaster-registry.js';
import { poissonSteps, seasonalRate } from './synthetic.js';

function checkBand(b: ForecastBand, h: number): void {
  expect(b.p50PerS).toHaveLength(h);
  expect(b.upperPerS).toHaveLength(h);
  expect(b.peakUpperPerS).toHaveLength(h);
  for (let j = 0; j < h; j++) {
    const p = b.p50PerS[j]!;
    const u = b.upperPerS[j]!;
    const pk = b.peakUpperPerS[j]!;
    expect(Number.isFinite(p) && Number.isFinite(u) && Number.isFinite(pk)).toBe(true);
    expect(p).toBeGreaterThanOrEqual(0);
    expect(u).toBeGreaterThanOrEqual(p);
    expect(pk).toBeGreaterThanOrEqual(u);
  }
}

/** A hostile series: zeros, NaN gaps, a missing stretch, a spike, negative and infinite values. */
function hostile(stepS: number, n: number): StepObservation[] {
  const base = poissonSteps(n, stepS, (t) => seasonalRate(t, 5, 0.8, 0), 7);
  return base
    .map((s, i) => {
      if (i % 17 === 3) return { ...s, meanPerS: NaN, peakPerS: NaN };
      if (i % 23 < 4) return { ...s, meanPerS: 0, peakPerS: 0 };
      if (i === 40) return { ...s, meanPerS: 1e6, peakPerS: 2e6 };
      if (i === 41) return { ...s, meanPerS: -3, peakPerS: -3 };
      if (i === 42) return { ...s, meanPerS: Infinity, peakPerS: NaN };
      if (i === 43) return { ...s, peakPerS: NaN };
      return s;
    })
    .filter((_, i) => i < 60 || i > 70);
}

describe('every forecaster on hostile input', () => {
  for (const stepS of [1, 5, 60, 600, 3600]) {
    for (const name of FORECASTER_NAMES) {
      it(`${name} at ${stepS}-s steps stays finite and ordered (peakUpper >= upper >= p50 >= 0)`, () => {
        const f = createForecaster(name, {
          minHistorySteps: 10,
          ...(name === 'ensemble' && stepS >= 60 ? { stepS } : {}),
        });
        const n = stepS >= 600 ? 24 * 3 * (3600 / stepS) : 400;
        const series = hostile(stepS, n);
        checkBand(f.forecast(5), 5);
        for (let i = 0; i < series.length; i++) {
          f.observe(series[i]!);
          if (i % 7 === 0) checkBand(f.forecast(30), 30);
        }
        const b = f.forecast(30);
        checkBand(b, 30);
        expect(b.stepS).toBe(stepS);
        expect(b.historySteps).toBeGreaterThan(0);
        expect(b.method).toContain(name === 'burst' ? 'burst' : name.split('-')[0]!);
      });
    }
  }

  it('all-zero history forecasts zero p50 and a small positive band', () => {
    const f = createForecaster('ensemble', { minHistorySteps: 5 });
    for (let i = 0; i < 200; i++) f.observe({ startS: i * 5, meanPerS: 0, peakPerS: 0 });
    const b = f.forecast(10);
    checkBand(b, 10);
    expect(Math.max(...b.p50PerS)).toBe(0);
  });

  it('before any observation: zeros, no history, and a band that is still ordered', () => {
    const f = createForecaster('holt-winters');
    const b = f.forecast(3);
    checkBand(b, 3);
    expect(b.historySteps).toBe(0);
    expect(b.method).toContain('no history');
  });

  it('ignores steps that do not move forward in time', () => {
    const f = createForecaster('reactive', { stepS: 5 });
    f.observe({ startS: 100, meanPerS: 10, peakPerS: 10 });
    f.observe({ startS: 100, meanPerS: 1000, peakPerS: 1000 });
    f.observe({ startS: 95, meanPerS: 1000, peakPerS: 1000 });
    f.observe({ startS: NaN, meanPerS: 1000, peakPerS: 1000 });
    expect(f.ignoredSteps).toBe(3);
    expect(f.historySteps).toBe(1);
    expect(f.forecast(1).p50PerS[0]).toBe(10);
  });

  it('forecast starts right after the latest step, gaps included', () => {
    const f = createForecaster('holt-winters');
    f.observe({ startS: 0, meanPerS: 1, peakPerS: 1 });
    f.observe({ startS: 60, meanPerS: 1, peakPerS: 1 });
    f.observe({ startS: 120, meanPerS: NaN, peakPerS: NaN });
    const b = f.forecast(2);
    expect(b.startS).toBe(180);
    expect(b.stepS).toBe(60);
  });
});

describe('determinism', () => {
  for (const name of FORECASTER_NAMES) {
    it(`${name}: the same input gives the same output`, () => {
      const series = poissonSteps(3 * 288, 300, (t) => seasonalRate(t, 40, 0.6, 0.1), 11);
      const run = (): ForecastBand[] => {
        const f = createForecaster(name);
        const out: ForecastBand[] = [];
        series.forEach((s, i) => {
          f.observe(s);
          if (i % 50 === 0) out.push(f.forecast(12));
        });
        return out;
      };
      expect(run()).toEqual(run());
    });
  }
});

describe('validation', () => {
  it('unknown forecaster name names the allowed ones', () => {
    expect(() => createForecaster('prophet')).toThrow(ValidationError);
    expect(() => createForecaster('prophet')).toThrow(
      /forecaster: got "prophet", allowed: one of ensemble, holt-winters/,
    );
  });

  it('bad options name every key, value and range', () => {
    try {
      createForecaster('ensemble', { quantile: 1.5, residualWindow: 3, bogus: 1 } as never);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ValidationError);
      const err = e as ValidationError;
      expect(err.code).toBe('E_VALIDATION');
      expect(err.issues.map((i) => i.path).sort()).toEqual(['bogus', 'quantile', 'residualWindow']);
      expect(err.message).toContain('quantile: got 1.5, allowed: a number in (0.5, 0.999]');
    }
  });

  it('ensembleSeasonalNaive: auto joins it at minute steps only; true/false force it; other values are refused', () => {
    const names = (o: Parameters<typeof createForecaster>[1]): string[] =>
      (createForecaster('ensemble', o) as EnsembleForecaster).members.map((m) => m.name);
    expect(names({ stepS: 5 })).toEqual(['holt-winters', 'burst', 'reactive']);
    expect(names({ stepS: 600 })).toEqual(['holt-winters', 'burst', 'reactive', 'seasonal-naive']);
    expect(names({})).toEqual(['holt-winters', 'burst', 'reactive']);
    expect(names({ stepS: 5, ensembleSeasonalNaive: true })).toContain('seasonal-naive');
    expect(names({ stepS: 600, ensembleSeasonalNaive: false })).not.toContain('seasonal-naive');
    expect(() => createForecaster('ensemble', { ensembleSeasonalNaive: 'yes' } as never)).toThrow(
      /ensembleSeasonalNaive: got "yes", allowed: true, false or "auto"/,
    );
  });

  it('bad horizon is a ValidationError, not a crash later', () => {
    const f = createForecaster('reactive');
    expect(() => f.forecast(-1)).toThrow(ValidationError);
    expect(() => f.forecast(2.5)).toThrow(/horizonSteps/);
    expect(f.forecast(0).p50PerS).toEqual([]);
  });
});
