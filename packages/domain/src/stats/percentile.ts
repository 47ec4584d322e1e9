/**
 * Nearest-rank percentile of ascending-sorted values: the smallest value with at least a fraction `q` of the values at
 * or below it (rank ceil(q * n), clamped to [1, n]); null for no values. The one percentile of warmpool: the load
 * summary's p95, the lead-time p90 and the planner's quantiles all mean this. (simple-statistics' quantileSorted
 * interpolates between the two middle values when q * n is whole, which is not nearest-rank.)
 */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1]!;
}
