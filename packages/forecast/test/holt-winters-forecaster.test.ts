import { describe, expect, it } from 'vitest';
import { backtest } from '../src/backtest.js';
import { HoltWintersForecaster } from '../src/holt-winters-forecaster.js';
import { ReactiveForecaster } from '../src/reactive-forecaster.js';
import { poissonSteps, seasonalRate } from './synthetic.js';

describe('HoltWintersForecaster', () => {
  // 6 days of 10-min steps, daily swing 10..190 req/s, +5 %/day trend, a 1-hour spike on day 4.
  const rate = (t: number): number =>
    seasonalRate(t, 100, 0.9, 0.05) * (t >= 4.3 * 86_400 && t < 4.3 * 86_400 + 3600 ? 3 : 1);
  const series = poissonSteps(6 * 144, 600, rate, 1);

  it('starts the daily season only after two full days', () => {
    const f = new HoltWintersForecaster();
    const seasonsAt: string[] = [];
    series.forEach((s, i) => {
      f.observe(s);
      if (i === 143 || i === 286 || i === 288) seasonsAt.push(f.seasons);
    });
    expect(seasonsAt).toEqual(['none', 'none', 'daily']);
    expect(f.forecast(1).method).toBe('holt-winters (season: daily)');
  });

  it('tracks the season: 6-step-ahead error far below a naive level forecast once seasonal', () => {
    const r = backtest(
      series,
      { hw: (o) => new HoltWintersForecaster(o), naive: (o) => new ReactiveForecaster(o) },
      { horizonSteps: 6, warmupSteps: 3 * 144 },
    );
    const [hw, naive] = r.forecasters;
    expect(hw!.mape).toBeLessThan(0.1);
    expect(hw!.mape).toBeLessThan(0.4 * naive!.mape);
    // and beats the seasonal-naive baseline, which cannot follow the trend or average out noise
    expect(hw!.mape).toBeLessThan(r.baseline.mape);
  });

  it('forecasts the daily shape ahead: the peak hour is forecast higher than the trough', () => {
    const f = new HoltWintersForecaster({ stepS: 600 });
    // feed exactly 3 days, then forecast one day ahead
    for (let i = 0; i < 3 * 144; i++) f.observe(series[i]!);
    const b = f.forecast(144);
    // sin peaks at 6h (step 36), trough at 18h (step 108) after midnight
    expect(b.p50PerS[36]!).toBeGreaterThan(4 * b.p50PerS[108]!);
    expect(b.p50PerS[36]!).toBeGreaterThan(150);
    expect(b.p50PerS[36]!).toBeLessThan(260);
  });

  it('keeps a coarse profile at 1-s steps (288 buckets) and stays seasonal', () => {
    const f = new HoltWintersForecaster({ stepS: 60 });
    const s60 = poissonSteps(3 * 1440, 60, (t) => seasonalRate(t, 20, 0.8, 0), 2);
    for (const s of s60) f.observe(s);
    expect(f.seasons).toBe('daily');
    const b = f.forecast(1440);
    // smooth, interpolated profile: adjacent minutes differ by little
    let maxJump = 0;
    for (let j = 1; j < b.p50PerS.length; j++) maxJump = Math.max(maxJump, Math.abs(b.p50PerS[j]! - b.p50PerS[j - 1]!));
    expect(maxJump).toBeLessThan(0.5);
  });

  it('takes a compressed day (dayS): a replay 600x faster keeps its daily shape, which a real-day season misses', () => {
    // The same daily swing as above, with a day lasting 144 s (86 400 / 600) at 2-s steps: 3 days of history.
    const day = 144;
    const fast = (t: number): number => seasonalRate((t * 86_400) / day, 100, 0.9, 0);
    const s = poissonSteps((3 * day) / 2, 2, fast, 4);
    const compressed = new HoltWintersForecaster({ stepS: 2, dayS: day });
    const realDay = new HoltWintersForecaster({ stepS: 2 });
    for (const x of s) {
      compressed.observe(x);
      realDay.observe(x);
    }
    expect(compressed.seasons).toBe('daily');
    expect(realDay.seasons).toBe('none');
    // step j of the forecast starts at 432 + 2j s: the peak (6 h of the compressed day, 36 s in) is j = 18, the
    // trough (108 s in) j = 54
    const b = compressed.forecast(day / 2);
    expect(b.p50PerS[18]!).toBeGreaterThan(4 * b.p50PerS[54]!);
    const flat = realDay.forecast(day / 2);
    expect(Math.max(...flat.p50PerS)).toBeLessThan(1.5 * Math.min(...flat.p50PerS));
  });

  it('rejects a day shorter than two steps, naming the key', () => {
    expect(() => new HoltWintersForecaster({ stepS: 60, dayS: 100 })).toThrow(/dayS.*100.*at least 2 steps/s);
  });

  it('adds the weekly season after two weeks of hourly data', () => {
    const weekly = (t: number): number => seasonalRate(t, 100, 0.5, 0) * (Math.floor(t / 86_400) % 7 >= 5 ? 0.4 : 1);
    const s = poissonSteps(15 * 24, 3600, weekly, 3);
    const f = new HoltWintersForecaster();
    s.forEach((x, i) => {
      f.observe(x);
      if (i === 13 * 24) expect(f.seasons).toBe('daily');
    });
    expect(f.seasons).toBe('daily+weekly');
    // day 15 is a weekday (index 14 % 7 = 0); forecast days 19 (weekend, 5) vs 17 (weekday, 3)
    const b = f.forecast(5 * 24);
    const sumDay = (d: number): number => b.p50PerS.slice((d - 15) * 24, (d - 14) * 24).reduce((a, v) => a + v, 0);
    expect(sumDay(19)).toBeLessThan(0.6 * sumDay(17));
  });

  it('survives zero windows (multiplicative season with zeros) without NaN', () => {
    const zeros = series.map((s, i) => (Math.floor(i / 20) % 5 === 0 ? { ...s, meanPerS: 0, peakPerS: 0 } : s));
    const f = new HoltWintersForecaster();
    for (const s of zeros) f.observe(s);
    const b = f.forecast(200);
    expect(b.p50PerS.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(b.peakUpperPerS.every((v) => Number.isFinite(v))).toBe(true);
  });
});
