import { describe, expect, it } from 'vitest';
import { SeededRandom } from '@warmpool/domain';
import { ManualClock } from '../src/warmup/clock.js';
import { median } from '@warmpool/domain';
import { ConvergenceDetector } from '../src/warmup/convergence-detector.js';
import { roundsUntilConverged } from '../src/warmup/rounds-until-converged.js';

function feed(
  latencies: number[],
  windowSize: number,
  tolerance = 0.1,
  windows = 3,
): { convergedAt: number | undefined; d: ConvergenceDetector } {
  const d = new ConvergenceDetector(windowSize, tolerance, windows);
  let convergedAt: number | undefined;
  for (const ms of latencies) {
    const s = d.add(ms);
    if (s.converged && convergedAt === undefined) convergedAt = s.passes;
  }
  return { convergedAt, d };
}

/** Window medians written out as windows of identical passes. */
function windowsOf(medians: number[], windowSize: number): number[] {
  return medians.flatMap((m) => Array.from({ length: windowSize }, () => m));
}

/** A level with multiplicative noise: each pass is level x (1 + u), u uniform in [-amp, amp], plus rare 3x spikes. */
function noisy(level: number, n: number, amp: number, seed: number): number[] {
  const r = new SeededRandom(seed);
  return Array.from({ length: n }, () => (r.next() < 0.05 ? level * 3 : level * (1 + r.symmetric(amp))));
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
  // [case, latencies, windowSize, pass at which it converges (undefined: never)]; tolerance 0.1, 3 windows.
  const table: Array<[string, number[], number, number | undefined]> = [
    ['flat from the start converges after three windows', windowsOf([10, 10, 10], 3), 3, 9],
    ['cold first pass then flat', [200, 10, 10, ...windowsOf([10, 10], 3)], 3, 9],
    ['an incomplete third window does not count', windowsOf([10, 10], 3).concat([10, 10]), 3, undefined],
    // The bundled model under light load: the first window was the fastest, then a stable level.
    [
      'first window fastest, then stable: converges on the stable level',
      windowsOf([0.88, 1.2, 1.22, 1.19, 1.21], 5),
      5,
      20,
    ],
    [
      'first window fastest by far, then noisy-stable',
      [0.84, 0.85, 0.84, 0.86, 0.85, ...noisy(1.3, 45, 0.08, 3)],
      5,
      20,
    ],
    // Improving: a series still falling is not cut short even when its windows are close.
    ['improving 4 % a window waits until it flattens', windowsOf([100, 96, 92.2, 88.5, 85, 85, 85], 2), 2, 12],
    [
      'improving 10 % a window never converges while it falls',
      windowsOf([100, 90, 81, 73, 66, 59, 53], 2),
      2,
      undefined,
    ],
    ['falling then flat converges on the floor', windowsOf([100, 60, 40, 38, 38, 38], 3), 3, 18],
    // Noise: the medians absorb spikes and jitter inside the tolerance.
    ['noisy level (±8 %, 3x spikes) converges', noisy(10, 60, 0.08, 7), 5, 20],
    ['spikes inside windows are absorbed by the median', [10, 50, 10, 10, 10, 80, 10, 10, 90], 3, 9],
    [
      'noise beyond the tolerance between windows never converges',
      windowsOf([10, 12, 10, 12, 10, 12, 10], 2),
      2,
      undefined,
    ],
    // Drift: slow upward drift inside the tolerance is steady enough; fast drift is not.
    ['slow upward drift (2 % a window) converges', windowsOf([10, 10.2, 10.4], 2), 2, 6],
    [
      'fast upward drift (8 % a window) never converges',
      windowsOf([10, 10.8, 11.7, 12.6, 13.6, 14.7], 2),
      2,
      undefined,
    ],
    ['exactly 10 % spread counts as within', windowsOf([10, 11, 10], 2), 2, 6],
    ['11 % spread does not converge', windowsOf([10, 11.1, 10, 11.1], 2), 2, undefined],
  ];

  it.each(table)('%s', (_name, latencies, windowSize, expected) => {
    expect(feed(latencies, windowSize).convergedAt).toBe(expected);
  });

  it('estimates steady latency as the median of the last windows, and keeps the best and last', () => {
    const { d } = feed(windowsOf([50, 10, 10.5, 10.2], 2), 2);
    const s = d.state();
    expect(s.windowMediansMs).toEqual([50, 10, 10.5, 10.2]);
    expect(s.bestWindowMedianMs).toBe(10);
    expect(s.lastWindowMedianMs).toBe(10.2);
    expect(s.steadyMs).toBe(10.2);
    expect(s.converged).toBe(true);
    expect(s.spread).toBeCloseTo(0.5 / 10, 6);
  });

  it('says why it has not converged in one short line, without the list of medians', () => {
    const spread = feed(windowsOf([0.9, 1.07, 1.46, 1.1, 1.4, 1.07, 1.46], 5), 5).d;
    expect(spread.reason()).toBe('last 3 window medians 1.07-1.46 ms, spread 36 % > 10 %');
    const falling = feed(windowsOf([100, 96, 92.2, 88.5], 2), 2).d;
    expect(falling.reason()).toMatch(/^last 3 window medians 88\.5-96\.0 ms, still falling \(8 % over 3 windows\)$/);
    expect(feed([1, 2, 3], 2).d.reason()).toBe('only 1 of 3 windows of 2 passes complete');
    expect(feed(windowsOf([5, 5, 5], 2), 2).d.reason()).toBeUndefined();
  });

  it('honours a custom tolerance and window count', () => {
    expect(feed(windowsOf([10, 12, 12], 2), 2, 0.25).convergedAt).toBe(6);
    expect(feed(windowsOf([10, 12, 12], 2), 2, 0.1).convergedAt).toBeUndefined();
    expect(feed(windowsOf([10, 10], 2), 2, 0.1, 2).convergedAt).toBe(4);
  });

  it('rejects bad window sizes, window counts and latencies', () => {
    expect(() => new ConvergenceDetector(0)).toThrow(RangeError);
    expect(() => new ConvergenceDetector(2, 0.1, 1)).toThrow(/windows/);
    expect(() => new ConvergenceDetector(2).add(Number.NaN)).toThrow(/latency/);
    expect(() => new ConvergenceDetector(2).add(-1)).toThrow(/latency/);
  });
});

describe('roundsUntilConverged', () => {
  const spec = { windowSize: 2, tolerance: 0.1, convergenceWindows: 3, maxPassesPerShape: 20 };

  it('sends round-robin, drops each item once converged, stops at maxPassesPerShape rounds', async () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const latency = { flat: () => 5, wobbly: (round: number) => (Math.floor(round / 2) % 2 ? 10 : 20) };
    const r = await roundsUntilConverged(
      ['flat', 'wobbly'] as const,
      (x) => x,
      async (x, round) => {
        sent.push(x);
        clock.advance(1);
        return latency[x](round);
      },
      spec,
      clock,
      60_000,
    );
    expect(sent.filter((x) => x === 'flat')).toHaveLength(6);
    expect(sent.filter((x) => x === 'wobbly')).toHaveLength(20);
    expect(r).toEqual({ requests: 26, converged: false, unconverged: ['wobbly'] });
  });

  it('stops when its budget is spent', async () => {
    const clock = new ManualClock();
    const r = await roundsUntilConverged(
      ['a'],
      (x) => x,
      async (_x, round) => {
        clock.advance(100);
        return round % 2 ? 10 : 30;
      },
      spec,
      clock,
      450,
    );
    expect(r).toEqual({ requests: 5, converged: false, unconverged: ['a'] });
  });
});
