import { describe, expect, it } from 'vitest';
import { BurstDetector } from '../src/burst-detector.js';
import { HoltWintersForecaster } from '../src/holt-winters-forecaster.js';
import { poissonSteps } from './synthetic.js';

describe('BurstDetector', () => {
  // 5-s steps from 1-s Poisson counts: 10 req/s, then a step to 50 req/s at step 200.
  const series = poissonSteps(260, 5, (t) => (t >= 1000 ? 50 : 10), 5);

  it('reacts to a step change within a few steps', () => {
    const f = new BurstDetector();
    let reactedAt = -1;
    series.forEach((s, i) => {
      f.observe(s);
      if (i >= 200 && reactedAt < 0 && f.forecast(1).p50PerS[0]! > 35) reactedAt = i - 200;
    });
    expect(reactedAt).toBeGreaterThanOrEqual(0);
    expect(reactedAt).toBeLessThanOrEqual(2);
  });

  it('flags the rising edge and extrapolates it, then goes flat at the new level', () => {
    const ramp = Array.from({ length: 120 }, (_, i) => {
      const v = i < 100 ? 20 : 20 + (i - 99) * 10;
      return { startS: i * 60, meanPerS: v, peakPerS: v };
    });
    const f = new BurstDetector();
    for (const s of ramp) f.observe(s);
    expect(f.inBurst).toBe(true);
    const b = f.forecast(8);
    // extrapolated a few steps above the last value (210), then flat
    expect(b.p50PerS[0]!).toBeGreaterThan(210);
    expect(b.p50PerS[3]!).toBeGreaterThan(b.p50PerS[0]!);
    expect(b.p50PerS[7]!).toBe(b.p50PerS[3]!);
    const flat = new BurstDetector();
    for (const s of ramp.slice(0, 100)) flat.observe(s);
    expect(flat.inBurst).toBe(false);
    expect(flat.forecast(3).p50PerS).toEqual([20, 20, 20]);
  });

  it('does not fire on stationary noise most of the time', () => {
    const noise = poissonSteps(2000, 5, () => 10, 9);
    const f = new BurstDetector();
    let bursts = 0;
    for (const s of noise) {
      f.observe(s);
      if (f.inBurst) bursts++;
    }
    expect(bursts / noise.length).toBeLessThan(0.05);
  });

  it('reacts faster than Holt-Winters to the same step', () => {
    const hw = new HoltWintersForecaster();
    const burst = new BurstDetector();
    for (const s of series.slice(0, 204)) {
      hw.observe(s);
      burst.observe(s);
    }
    expect(burst.forecast(1).p50PerS[0]!).toBeGreaterThan(hw.forecast(1).p50PerS[0]! + 10);
  });
});
