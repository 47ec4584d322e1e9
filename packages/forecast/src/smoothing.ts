/** Per-update smoothing factor of an EWMA whose weight halves after `halfLife` updates. */
export function alphaForHalfLife(halfLife: number): number {
  if (!(halfLife > 0)) return 1;
  return 1 - Math.pow(0.5, 1 / halfLife);
}

/** Finite, non-negative number or the fallback. */
export function nonNegative(value: number, fallback = 0): number {
  return Number.isFinite(value) && value > 0 ? value : value === 0 ? 0 : fallback;
}
