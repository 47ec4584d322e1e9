import type { CountSeries, StepObservation } from '@warmpool/domain';
import { stepStartS, toObservations, type ReadRange } from '../read-range.js';

/**
 * Re-bins counts onto the step grid, the trace's second t at wall time `epochOffsetS + t`. Counts are
 * spread evenly inside their bin, so bins are summed into longer steps and split into shorter ones.
 * meanPerS = requests in the covered part of the step / covered seconds; a step no bin overlaps is a
 * gap (NaN). peakPerS = the highest bin rate (count / binS) overlapping the step: the true one-second
 * peak for 1-s bins, the bin mean for coarser ones.
 */
export function binsToSteps(series: CountSeries, epochOffsetS: number, range: ReadRange): StepObservation[] {
  const mean = new Float64Array(range.count).fill(NaN);
  const peak = new Float64Array(range.count).fill(NaN);
  const n = series.counts.length;
  const startS = epochOffsetS + series.startS;
  const binS = series.binS;
  for (let i = 0; i < range.count; i++) {
    const s = stepStartS(range, i);
    const e = s + range.stepS;
    const first = Math.max(0, Math.floor((s - startS) / binS));
    const last = Math.min(n - 1, Math.ceil((e - startS) / binS) - 1);
    let sum = 0;
    let coveredS = 0;
    let top = NaN;
    for (let j = first; j <= last; j++) {
      const b0 = startS + j * binS;
      const overlapS = Math.min(e, b0 + binS) - Math.max(s, b0);
      if (overlapS <= 0) continue;
      const rate = series.counts[j]! / binS;
      sum += rate * overlapS;
      coveredS += overlapS;
      if (!(top >= rate)) top = rate;
    }
    if (coveredS > 0) {
      mean[i] = sum / coveredS;
      peak[i] = top;
    }
  }
  return toObservations(range, mean, peak);
}
