import type { StepObservation } from '@warmpool/domain';
import { ValidationError } from '@warmpool/domain';

/** Shortest step forecasters are fed (the planner's tick). */
export const MIN_STEP_S = 5;

/**
 * Turns a binned trace (counts per `binS`-second bin, contiguous from `startS`) into forecaster
 * steps. Bins narrower than `minStepS` are grouped into steps of ceil(minStepS / binS) bins:
 * `meanPerS` = requests / step seconds, `peakPerS` = busiest bin's rate. Wider bins are their own
 * steps with `peakPerS == meanPerS`. A trailing partial step is kept with the bins it has.
 * NaN counts mark gaps; a step whose bins are all NaN is a gap (NaN mean).
 */
export function aggregateSteps(
  counts: ArrayLike<number>,
  binS: number,
  options: { minStepS?: number; startS?: number } = {},
): StepObservation[] {
  const minStepS = options.minStepS ?? MIN_STEP_S;
  const startS = options.startS ?? 0;
  if (!(binS > 0) || !Number.isFinite(binS)) {
    throw new ValidationError([{ path: 'binS', value: binS, allowed: 'a finite number > 0' }], 'step aggregation');
  }
  if (!(minStepS >= 0) || !Number.isFinite(minStepS)) {
    throw new ValidationError(
      [{ path: 'minStepS', value: minStepS, allowed: 'a finite number >= 0' }],
      'step aggregation',
    );
  }
  const perStep = Math.max(1, Math.ceil(minStepS / binS - 1e-9));
  const out: StepObservation[] = [];
  for (let i = 0; i < counts.length; i += perStep) {
    let sum = 0;
    let max = -Infinity;
    let seen = 0;
    const end = Math.min(counts.length, i + perStep);
    for (let j = i; j < end; j++) {
      const c = counts[j]!;
      if (!Number.isFinite(c)) continue;
      sum += c;
      if (c > max) max = c;
      seen++;
    }
    const stepStartS = startS + i * binS;
    if (seen === 0) {
      out.push({ startS: stepStartS, meanPerS: NaN, peakPerS: NaN });
      continue;
    }
    const meanPerS = sum / (seen * binS);
    out.push({ startS: stepStartS, meanPerS, peakPerS: perStep > 1 ? Math.max(meanPerS, max / binS) : meanPerS });
  }
  return out;
}
