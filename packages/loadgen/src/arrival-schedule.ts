import { SeededRandom } from '@warmpool/domain';
import type { LoadTrace } from './trace-csv.js';

export type ArrivalProcess = 'uniform' | 'poisson';

export interface ScheduleOptions {
  /** Trace seconds per wall second (10: a 60-s bin lasts 6 s). */
  readonly speedX: number;
  /** Requests per trace request. */
  readonly scale: number;
  readonly arrival: ArrivalProcess;
  readonly seed: number;
  readonly shapeCount: number;
  /** At most this many arrivals (the first ones). */
  readonly maxRequests: number;
}

/** One planned request: when (ms after the run start, wall time) and which shape. */
export interface Arrival {
  readonly atMs: number;
  readonly shape: number;
  readonly bin: number;
}

/** The scale that makes the trace's busiest bin `peakPerS` requests per wall second at `speedX`. */
export function scaleForPeak(trace: LoadTrace, speedX: number, peakPerS: number): number {
  const peak = trace.counts.reduce((m, c) => Math.max(m, c), 0);
  if (peak === 0) return 0;
  return peakPerS / ((peak / trace.binS) * speedX);
}

/**
 * The arrivals of a time-compressed, scaled trace. Per bin, `count * scale` requests (the
 * fraction rounded by a seeded coin): `uniform` places them uniformly at random in the bin,
 * `poisson` draws exponential gaps at the bin's rate (so the count varies too). Deterministic
 * for a seed.
 */
export function buildArrivals(trace: LoadTrace, opts: ScheduleOptions): Arrival[] {
  const rng = new SeededRandom(opts.seed);
  const binMs = (trace.binS * 1000) / opts.speedX;
  const out: Arrival[] = [];
  for (let bin = 0; bin < trace.counts.length && out.length < opts.maxRequests; bin++) {
    const expected = trace.counts[bin]! * opts.scale;
    const from = bin * binMs;
    const times: number[] = [];
    if (opts.arrival === 'uniform') {
      const n = Math.floor(expected) + (rng.next() < expected - Math.floor(expected) ? 1 : 0);
      for (let i = 0; i < n; i++) times.push(from + rng.next() * binMs);
      times.sort((a, b) => a - b);
    } else if (expected > 0) {
      const meanGapMs = binMs / expected;
      for (let t = from + rng.exponential(meanGapMs); t < from + binMs; t += rng.exponential(meanGapMs)) times.push(t);
    }
    for (const atMs of times) {
      if (out.length >= opts.maxRequests) break;
      out.push({ atMs, shape: rng.int(opts.shapeCount), bin });
    }
  }
  return out;
}
