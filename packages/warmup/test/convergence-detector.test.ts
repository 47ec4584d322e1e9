import { describe, expect, it } from 'vitest';
import { ConvergenceDetector, median } from '../src/warmup/convergence-detector.js';

function feed(latencies: number[], windowSize: number, tolerance = 0.1): { convergedAt: number | undefined; medians: readonly number[] } {
  const d = new ConvergenceDetector(windowSize, tolerance);
  let convergedAt: number | undefined;
  for (const ms of latencies) {
    const s = d.add(ms);
    if (s.converged && convergedAt === undefined) convergedAt = s.passes;
  }
  return { convergedAt, medians: d.state().windowMediansMs };
}

describe('median', () => {
  it.each([
    [[3], 3],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[10, 10, 1000], 10],
  ])('median(%j) = %d', (xs, m) => expect(median(xs)).toBe(m));
});

describe('ConvergenceDetector', () => {
  // [case, latencies, windowSize, pass at which it converges (undefined: never)]
  const table: Array<[string, number[], number, number | undefined]> = [
    ['flat from the start converges after two windows', [10, 10, 10, 10, 10, 10], 3, 6],
    ['cold first pass then flat', [200, 10, 10, 10, 10, 10, 10, 10, 10], 3, 6],
    ['slowly falling latency waits for the drop to flatten', [100, 100, 100, 60, 60, 60, 40, 40, 40, 38, 38, 38], 3, 12],
    ['within 10 % of previous but previous was slower than best', [10, 10, 10, 20, 20, 20, 21, 21, 21, 10.5, 10.5, 10.5, 10, 10, 10], 3, 15],
    ['exactly 10 % counts as within', [10, 10, 11, 11], 2, 4],
    ['11 % apart does not converge', [10, 10, 11.1, 11.1], 2, undefined],
    ['noise inside a window is absorbed by the median', [10, 50, 10, 10, 10, 80], 3, 6],
    ['oscillating windows never converge', [10, 10, 20, 20, 10, 10, 20, 20], 2, undefined],
    ['an incomplete window does not count', [10, 10, 10, 10, 10], 3, undefined],
  ];

  it.each(table)('%s', (_name, latencies, windowSize, expected) => {
    expect(feed(latencies, windowSize).convergedAt).toBe(expected);
  });

  it('best window is the lowest median seen and steady estimate is the last window', () => {
    const d = new ConvergenceDetector(2);
    for (const ms of [50, 50, 10, 10, 10.5, 10.5]) d.add(ms);
    const s = d.state();
    expect(s.windowMediansMs).toEqual([50, 10, 10.5]);
    expect(s.bestWindowMedianMs).toBe(10);
    expect(s.lastWindowMedianMs).toBe(10.5);
    expect(s.converged).toBe(true);
    // 10 % of the best (9) is 0.9: a window at 10 is not within it.
    const e = new ConvergenceDetector(2);
    for (const ms of [9, 9, 10, 10]) e.add(ms);
    expect(e.state().converged).toBe(false);
  });

  it('honours a custom tolerance', () => {
    expect(feed([10, 10, 12, 12], 2, 0.25).convergedAt).toBe(4);
    expect(feed([10, 10, 12, 12], 2, 0.1).convergedAt).toBeUndefined();
  });

  it('rejects bad window sizes and latencies', () => {
    expect(() => new ConvergenceDetector(0)).toThrow(RangeError);
    expect(() => new ConvergenceDetector(2).add(Number.NaN)).toThrow(/latency/);
    expect(() => new ConvergenceDetector(2).add(-1)).toThrow(/latency/);
  });
});
