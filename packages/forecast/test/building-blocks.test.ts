import { quantile as ssQuantile } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { PendingForecasts, TRACKED_HORIZONS, horizonPosition } from '../src/pending-forecasts.js';
import { RingBuffer } from '../src/ring-buffer.js';
import { SeasonalProfile } from '../src/seasonal-profile.js';
import { SortedWindow } from '../src/sorted-window.js';
import { StepClock } from '../src/step-clock.js';

describe('RingBuffer', () => {
  it('keeps the newest capacity values, oldest first', () => {
    const r = new RingBuffer(3);
    expect(r.last()).toBeNaN();
    for (const v of [1, 2, 3, 4, 5]) r.push(v);
    expect(r.size).toBe(3);
    expect(r.toArray()).toEqual([3, 4, 5]);
    expect(r.get(0)).toBe(3);
    expect(r.last()).toBe(5);
    r.clear();
    expect(r.toArray()).toEqual([]);
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});

describe('PendingForecasts', () => {
  it('returns the forecast made k steps before, once', () => {
    const p = new PendingForecasts([1, 4]);
    p.store(1, 10, 42); // made after step 10 for step 14
    expect(p.take(1, 13)).toBeNaN();
    expect(p.take(1, 14)).toBe(42);
    expect(p.take(1, 14)).toBeNaN();
  });

  it('interpolates positions between tracked horizons', () => {
    expect(horizonPosition(TRACKED_HORIZONS, 1)).toEqual({ lo: 0, w: 0 });
    expect(horizonPosition(TRACKED_HORIZONS, 3)).toEqual({ lo: 1, w: 0.5 });
    expect(horizonPosition(TRACKED_HORIZONS, 12)).toEqual({ lo: 3, w: 0.5 });
    expect(horizonPosition(TRACKED_HORIZONS, 500)).toEqual({ lo: TRACKED_HORIZONS.length - 1, w: 0 });
    expect(horizonPosition([1, 10], 4)).toEqual({ lo: 0, w: 1 / 3 });
  });
});

describe('StepClock', () => {
  it('infers the step from the first two observations and refuses steps back in time', () => {
    const c = new StepClock();
    expect(c.advance(100)).toEqual({ idx: 0, inferred: false });
    expect(c.advance(160)).toEqual({ idx: 1, inferred: true });
    expect(c.stepS).toBe(60);
    expect(c.advance(400)).toEqual({ idx: 5, inferred: false }); // a hole of 3 missing steps
    expect(c.advance(400).idx).toBe(-1);
    expect(c.nextStartS).toBe(460);
  });
});

describe('SeasonalProfile', () => {
  it('uses at most 288 buckets per day at 1-s steps, 24 at 1-h steps', () => {
    expect(new SeasonalProfile(86_400, 1, 288).buckets).toBe(288);
    expect(new SeasonalProfile(86_400, 3600, 288).buckets).toBe(24);
  });

  it('activates from two days of data, interpolates between bucket centres, mean 1', () => {
    const p = new SeasonalProfile(86_400, 3600, 288);
    for (let t = 1800; t < 2 * 86_400; t += 3600) p.accumulate(t, Math.floor(t / 3600) % 24 < 12 ? 3 : 1);
    expect(p.ready(3600)).toBe(true);
    p.activate();
    expect(p.factorAt(1800)).toBeCloseTo(1.5, 12); // centre of a "3" hour: 3 / mean 2
    expect(p.factorAt(13 * 3600 + 1800)).toBeCloseTo(0.5, 12);
    expect(p.factorAt(12 * 3600)).toBeCloseTo(1, 12); // halfway between 1.5 and 0.5
  });
});

describe('SortedWindow', () => {
  it('matches simple-statistics quantiles over a sliding window of random values', () => {
    const w = new SortedWindow(50);
    const all: number[] = [];
    let seed = 7;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let i = 0; i < 2000; i++) {
      // ties included: values on a coarse grid
      const v = Math.round((rand() - 0.3) * 40) / 4 + 0; // + 0 turns -0 into 0
      w.push(v);
      all.push(v);
      const window = all.slice(-50);
      expect(w.size).toBe(window.length);
      for (const p of [0, 0.5, 0.9, 0.95, 1]) expect(w.quantile(p)).toBeCloseTo(ssQuantile(window, p), 12);
    }
    expect(w.toSortedArray()).toEqual([...all.slice(-50)].sort((a, b) => a - b));
  });

  it('ignores non-finite values and is empty after clear', () => {
    const w = new SortedWindow(4);
    w.push(NaN);
    w.push(Infinity);
    expect(w.size).toBe(0);
    expect(w.quantile(0.5)).toBeNaN();
    w.push(3);
    w.push(1);
    expect(w.quantile(0.5)).toBe(2);
    w.clear();
    expect(w.size).toBe(0);
  });
});
