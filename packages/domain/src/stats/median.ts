/**
 * The median of a list: the middle value, or the mean of the middle two for an even length; NaN for an empty list.
 * The one median of the tree (next to the nearest-rank `percentile`).
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
