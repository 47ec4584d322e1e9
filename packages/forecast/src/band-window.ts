import type { ForecastBand } from '@warmpool/domain';
import { ValidationError } from '@warmpool/domain';

/** Which path of a band to read. */
export type BandField = 'p50PerS' | 'upperPerS' | 'peakUpperPerS';

/**
 * Steps a forecast must have for its last step to reach `untilS` (seconds, same clock as
 * `nextStartS`, the start of the first forecast step): ceil((untilS - nextStartS) / stepS), >= 0.
 */
export function horizonStepsUntil(nextStartS: number, stepS: number, untilS: number): number {
  if (!(stepS > 0) || !Number.isFinite(nextStartS) || !Number.isFinite(untilS)) {
    throw new ValidationError(
      [{ path: 'stepS/nextStartS/untilS', value: { nextStartS, stepS, untilS }, allowed: 'finite numbers, stepS > 0' }],
      'horizon request',
    );
  }
  return Math.max(0, Math.ceil((untilS - nextStartS) / stepS - 1e-9));
}

/**
 * Highest value of `field` (default `peakUpperPerS`) over the band's steps that overlap the
 * window [fromS, toS): what the planner provisions for over [now + lead, now + lead + horizon].
 * A window past the band's end uses the last step (the band was asked too short); before its
 * start, the first. 0 for an empty band.
 */
export function bandMaxOver(
  band: ForecastBand,
  fromS: number,
  toS: number,
  field: BandField = 'peakUpperPerS',
): number {
  const values = band[field];
  const n = values.length;
  if (n === 0) return 0;
  const first = Math.floor((fromS - band.startS) / band.stepS + 1e-9);
  const last = Math.ceil((toS - band.startS) / band.stepS - 1e-9) - 1;
  const lo = Math.min(n - 1, Math.max(0, first));
  const hi = Math.min(n - 1, Math.max(lo, last));
  let max = 0;
  for (let j = lo; j <= hi; j++) if (values[j]! > max) max = values[j]!;
  return max;
}
