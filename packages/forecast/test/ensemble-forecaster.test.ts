import { describe, expect, it } from 'vitest';
import { backtest } from '../src/backtest.js';
import { ValidationError } from '@warmpool/domain';
import { EnsembleForecaster } from '../src/ensemble-forecaster.js';
import { HoltWintersForecaster } from '../src/holt-winters-forecaster.js';
import { ReactiveForecaster } from '../src/reactive-forecaster.js';
import { SeasonalNaiveForecaster } from '../src/seasonal-naive-forecaster.js';
import type { ForecasterOptions } from '../src/forecaster-options.js';
import { createForecaster } from '../src/forecaster-registry.js';
import { poissonSteps, seasonalRate } from './synthetic.js';

describe('EnsembleForecaster', () => {
  it('falls back to the reactive member with headroom while history is short, and says so', () => {
    const f = new EnsembleForecaster({ minHistorySteps: 20 });
    for (let i = 0; i < 5; i++) f.observe({ startS: i * 5, meanPerS: 10, peakPerS: 14 });
    const b = f.forecast(4);
    expect(b.method).toMatch(/^ensemble: reactive fallback with headroom \(5\/20 steps of history\)$/);
    expect(b.weights).toEqual({ reactive: 1 });
    expect(b.p50PerS[0]).toBeCloseTo(10, 6);
    expect(b.upperPerS[0]!).toBeGreaterThan(12);
    expect(b.peakUpperPerS[0]!).toBeGreaterThan(b.upperPerS[0]!);
  });

  it('adds seasonal-naive by default when a day is at most 1 440 steps, a compressed day (dayS) included', () => {
    const names = (o: ForecasterOptions): string[] => new EnsembleForecaster(o).members.map((m) => m.name);
    expect(names({ stepS: 60 })).toContain('seasonal-naive');
    expect(names({ stepS: 5 })).not.toContain('seasonal-naive');
    expect(names({ stepS: 2, dayS: 144 })).toContain('seasonal-naive');
    expect(names({ stepS: 2, dayS: 144, ensembleSeasonalNaive: false })).not.toContain('seasonal-naive');
  });

  it('takes custom members, adds the reactive fallback, refuses duplicate names', () => {
    const f = new EnsembleForecaster({ minHistorySteps: 3 }, [
      new HoltWintersForecaster(),
      new SeasonalNaiveForecaster(),
    ]);
    expect(f.members.map((m) => m.name)).toEqual(['holt-winters', 'seasonal-naive', 'reactive']);
    for (let i = 0; i < 10; i++) f.observe({ startS: i * 60, meanPerS: 5, peakPerS: 5 });
    const b = f.forecast(3);
    expect(Object.keys(b.weights!)).toEqual(['holt-winters', 'seasonal-naive', 'reactive']);
    expect(b.p50PerS[0]).toBeCloseTo(5, 6);
    expect(() => new EnsembleForecaster({}, [new ReactiveForecaster(), new ReactiveForecaster()])).toThrow(
      ValidationError,
    );
  });

  it('p50 tracks a level change within a few steps, up and down', () => {
    const firstStepBelowOrAbove = (from: number, to: number, threshold: number): number => {
      const s = poissonSteps(600, 5, (t) => (t >= 2500 ? to : from), 5);
      const f = new EnsembleForecaster();
      let at = -1;
      s.forEach((x, i) => {
        f.observe(x);
        const p = f.forecast(1).p50PerS[0]!;
        if (i >= 500 && at < 0 && (to > from ? p > threshold : p < threshold)) at = i - 500;
      });
      return at;
    };
    const up = firstStepBelowOrAbove(10, 50, 40);
    expect(up).toBeGreaterThanOrEqual(0);
    expect(up).toBeLessThanOrEqual(3);
    const down = firstStepBelowOrAbove(50, 10, 15);
    expect(down).toBeGreaterThanOrEqual(0);
    expect(down).toBeLessThanOrEqual(8);
  });

  it('shifts weight toward Holt-Winters on a strongly seasonal series', () => {
    const s = poissonSteps(5 * 144, 600, (t) => seasonalRate(t, 200, 0.9, 0), 21);
    const f = new EnsembleForecaster();
    const early: number[] = [];
    s.forEach((x, i) => {
      f.observe(x);
      if (i === 100) early.push(f.weightsAt(16)['holt-winters']!);
    });
    const w = f.weightsAt(16);
    expect(w['holt-winters']!).toBeGreaterThan(0.6);
    expect(w['holt-winters']!).toBeGreaterThan(early[0]! + 0.2);
    const b = f.forecast(16);
    expect(b.method).toMatch(/^ensemble\(holt-winters=[01]\.\d\d, burst=[01]\.\d\d, reactive=[01]\.\d\d\)$/);
    const sum = Object.values(b.weights!).reduce((a, v) => a + v, 0);
    expect(sum).toBeCloseTo(1, 3);
  });

  it('shifts weight toward the burst detector on a series of fast ramps', () => {
    // flat 20 req/s with a ramp every 60 steps: +15 req/s per step for 8 steps, then back to 20.
    const s = Array.from({ length: 1200 }, (_, i) => {
      const k = i % 60;
      const v = k < 8 ? 20 + 15 * k : 20;
      return { startS: i * 60, meanPerS: v, peakPerS: v };
    });
    const f = new EnsembleForecaster();
    for (const x of s.slice(0, 1200 - 54)) f.observe(x);
    const w = f.weightsAt(1);
    expect(w['burst']!).toBeGreaterThan(w['holt-winters']!);
  });

  it('on seasonal + trend + spike data: p50 beats seasonal-naive, band at least as good as its best member', () => {
    const rate = (t: number): number =>
      seasonalRate(t, 30, 0.7, 0.1) * (Math.floor(t / 3600) % 29 === 7 && t % 3600 < 1200 ? 2.5 : 1);
    const s = poissonSteps(5 * 288, 300, rate, 33);
    const names = ['ensemble', 'holt-winters', 'burst', 'reactive'] as const;
    const r = backtest(s, Object.fromEntries(names.map((n) => [n, (o: ForecasterOptions) => createForecaster(n, o)])), {
      horizonSteps: 12,
      warmupSteps: 3 * 288,
    });
    const [ens, ...members] = r.forecasters;
    expect(ens!.mape).toBeLessThan(r.baseline.mape);
    const bestMember = Math.min(...members.map((m) => m.relativePinballLoss));
    expect(ens!.relativePinballLoss).toBeLessThanOrEqual(bestMember * 1.05);
    expect(ens!.coverage).toBeGreaterThan(0.9);
  });
});
