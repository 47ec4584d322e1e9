import type { PastDemand } from '../engine/observed-demand.js';

/**
 * Mean demand per second over the last `windowS` seconds before `now` (only the seconds that exist: before
 * second `windowS` the mean is over `now` seconds, as a metrics pipeline that started at 0 reports it).
 * Returns NaN when no second has been observed yet (no metric). O(windowS); callers evaluate it once per
 * controller tick, which keeps every policy O(1) amortized per simulated second.
 */
export function observedMeanPerS(observed: PastDemand, now: number, windowS: number): number {
  const from = Math.max(0, now - windowS);
  const n = now - from;
  if (n <= 0) return Number.NaN;
  let sum = 0;
  for (let s = from; s < now; s++) sum += observed.at(s);
  return sum / n;
}
