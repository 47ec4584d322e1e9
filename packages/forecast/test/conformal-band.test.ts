import { describe, expect, it } from 'vitest';
import { backtest } from '../src/backtest.js';
import { createForecaster } from '../src/forecaster-registry.js';
import { poissonSteps } from './synthetic.js';

describe('band calibration on stationary Poisson noise', () => {
  for (const q of [0.9, 0.95, 0.99]) {
    for (const name of ['ensemble', 'reactive', 'holt-winters'] as const) {
      it(`${name}: ${q} nominal gives coverage near ${q} for the mean and the busiest second`, () => {
        const s = poissonSteps(3000, 5, () => 8, 100 + Math.round(q * 100));
        const r = backtest(s, (o) => createForecaster(name, o), { horizonSteps: 20, quantile: q, warmupSteps: 300 });
        const m = r.forecasters[0]!;
        const lo = q - (1 - q) * 1.2;
        const hi = Math.min(0.999, q + (1 - q) * 0.8);
        expect(m.coverage).toBeGreaterThan(lo);
        expect(m.coverage).toBeLessThan(hi);
        expect(m.peakCoverage).toBeGreaterThan(lo);
        expect(m.peakCoverage).toBeLessThan(hi);
      });
    }
  }

  it('very high quantiles (0.996, as the planner asks at 10-min steps) use the window max, not the prior forever', () => {
    const s = poissonSteps(600, 600, () => 20, 31);
    const r = backtest(s, (o) => createForecaster('reactive', o), {
      horizonSteps: 1,
      quantile: 0.996,
      warmupSteps: 100,
    });
    const m = r.forecasters[0]!;
    expect(m.coverage).toBeGreaterThan(0.985);
    // the prior (30 % headroom) would cost >= 1.3; the scores' max costs far less at 20 req/s x 600 s
    expect(m.peakUpperToActual).toBeLessThan(1.1);
  });

  it('the band is not fat: peak upper is within 2x the mean actual peak at 0.95', () => {
    const s = poissonSteps(3000, 5, () => 30, 77);
    const r = backtest(s, (o) => createForecaster('ensemble', o), { horizonSteps: 20, warmupSteps: 300 });
    expect(r.forecasters[0]!.peakUpperToActual).toBeLessThan(1.35);
    expect(r.forecasters[0]!.peakUpperToActual).toBeGreaterThan(1);
  });

  it('the band widens with the level (sqrt scaling) after a level change', () => {
    const s = poissonSteps(1500, 60, (t) => (t < 45_000 ? 2 : 200), 4);
    const f = createForecaster('reactive');
    for (const x of s) f.observe(x);
    const b = f.forecast(1);
    const width = b.upperPerS[0]! - b.p50PerS[0]!;
    // Poisson sd of a 60-s mean at 200 req/s is ~1.8 req/s
    expect(width).toBeGreaterThan(1.5);
    expect(width).toBeLessThan(12);
  });
});

describe('moving the band quantile (setQuantile)', () => {
  const steps = poissonSteps(400, 5, (t) => 10 + 4 * Math.sin(t / 300), 5);

  for (const name of ['ensemble', 'reactive', 'holt-winters'] as const) {
    it(`${name}: moved to q gives the band of one built at q (adaptation off) and back again`, () => {
      const moved = createForecaster(name, { quantile: 0.93, adaptRate: 0 });
      const built = createForecaster(name, { quantile: 0.97, adaptRate: 0 });
      const base = createForecaster(name, { quantile: 0.93, adaptRate: 0 });
      for (const s of steps) for (const f of [moved, built, base]) f.observe(s);
      const before = moved.forecast(12);
      moved.setQuantile!(0.97);
      const after = moved.forecast(12);
      expect(after.quantile).toBe(0.97);
      expect(after.upperPerS).toEqual(built.forecast(12).upperPerS);
      expect(after.peakUpperPerS).toEqual(built.forecast(12).peakUpperPerS);
      expect(after.peakUpperPerS[0]!).toBeGreaterThan(before.peakUpperPerS[0]!);
      expect(after.p50PerS).toEqual(before.p50PerS);
      moved.setQuantile!(0.93);
      expect(moved.forecast(12).peakUpperPerS).toEqual(base.forecast(12).peakUpperPerS);
    });
  }

  it('the ensemble moves its reactive fallback too (the band while history is short)', () => {
    const f = createForecaster('ensemble', { quantile: 0.93 });
    for (const s of steps.slice(0, 10)) f.observe(s);
    const before = f.forecast(4);
    expect(before.method).toMatch(/fallback/);
    f.setQuantile!(0.99);
    const after = f.forecast(4);
    expect(after.quantile).toBe(0.99);
    expect(after.upperPerS[0]!).toBeGreaterThan(before.upperPerS[0]!);
  });

  it('keeps what adaptation learned: a move and its reverse give the same band back', () => {
    // bursts every 25 steps make the adaptive levels move off the nominal quantile
    const bursty = steps.map((s, i) =>
      i % 25 === 0 ? { ...s, meanPerS: 3 * s.meanPerS, peakPerS: 4 * s.peakPerS } : s,
    );
    const moved = createForecaster('reactive', { quantile: 0.93 });
    const ref = createForecaster('reactive', { quantile: 0.93 });
    for (const s of bursty) for (const f of [moved, ref]) f.observe(s);
    const want = ref.forecast(6);
    moved.setQuantile!(0.99);
    expect(moved.forecast(6).peakUpperPerS[0]!).toBeGreaterThan(want.peakUpperPerS[0]!);
    moved.setQuantile!(0.93);
    const got = moved.forecast(6);
    for (let j = 0; j < 6; j++) {
      expect(got.upperPerS[j]!).toBeCloseTo(want.upperPerS[j]!, 9);
      expect(got.peakUpperPerS[j]!).toBeCloseTo(want.peakUpperPerS[j]!, 9);
    }
  });

  it('rejects a quantile outside (0.5, 1)', () => {
    const f = createForecaster('reactive');
    expect(() => f.setQuantile!(1)).toThrow(/quantile/);
    expect(() => f.setQuantile!(0.4)).toThrow(/quantile/);
  });
});
