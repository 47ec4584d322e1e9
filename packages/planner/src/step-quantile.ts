/**
 * The band quantile for a forecast step. With steps longer than the lead time, the band only matters in the
 * (lead + tick) seconds before each step boundary (inside a step the planner uses the observed level), so the
 * same over-provisioning budget buys a proportionally rarer miss: 1 - (1 - q) x min(1, (lead + tick) / step),
 * capped at 0.999. For steps at or below the lead time it is the spec's quantile.
 */
export function stepQuantile(quantile: number, stepS: number, leadS: number, tickS: number): number {
  return Math.min(0.999, Math.max(quantile, 1 - (1 - quantile) * Math.min(1, (leadS + tickS) / stepS)));
}
