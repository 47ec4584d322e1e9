import { describe, expect, it } from 'vitest';
import { perSecondDemand } from '../src/trace/per-second-demand.js';

describe('perSecondDemand', () => {
  it('uniform spreads each bin evenly over its seconds', () => {
    const d = perSecondDemand({ name: 'u', binS: 3, counts: Float64Array.from([6, 0, 3]) });
    expect([...d]).toEqual([2, 2, 2, 0, 0, 0, 1, 1, 1]);
  });

  it('at 1-s bins both interpolations are the counts themselves', () => {
    const counts = Float64Array.from([4, 0, 9]);
    expect([...perSecondDemand({ name: 'a', binS: 1, counts }, 'uniform')]).toEqual([4, 0, 9]);
    expect([...perSecondDemand({ name: 'a', binS: 1, counts }, 'linear')]).toEqual([4, 0, 9]);
  });

  it('linear interpolates the rate between bin midpoints, flat at the ends', () => {
    // bins of 2 s with counts 0 and 6: rates 0 and 3 req/s at midpoints t=1 and t=3.
    // second centres 0.5, 1.5, 2.5, 3.5 -> 0 (before the first midpoint), 0.75, 2.25, 3 (after the last).
    const d = perSecondDemand({ name: 'l', binS: 2, counts: Float64Array.from([0, 6]) }, 'linear');
    expect([...d]).toEqual([0, 0.75, 2.25, 3]);
  });

  it('linear keeps a constant series constant', () => {
    const d = perSecondDemand({ name: 'c', binS: 60, counts: Float64Array.from([120, 120, 120]) }, 'linear');
    expect(d.length).toBe(180);
    expect(d.every((x) => Math.abs(x - 2) < 1e-12)).toBe(true);
  });
});
