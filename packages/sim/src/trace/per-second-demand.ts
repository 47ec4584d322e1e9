import type { Trace } from './trace.js';

export type Interpolation = 'uniform' | 'linear';

/**
 * Demand per second (requests arriving in second s). `uniform` spreads each bin's count evenly over its
 * seconds; `linear` interpolates the rate between bin midpoints (flat before the first and after the last).
 */
export function perSecondDemand(trace: Trace, interp: Interpolation = 'uniform'): Float64Array {
  const { binS, counts } = trace;
  const n = counts.length;
  const out = new Float64Array(n * binS);
  if (interp === 'uniform' || binS === 1) {
    for (let i = 0; i < n; i++) out.fill(counts[i]! / binS, i * binS, (i + 1) * binS);
    return out;
  }
  const half = binS / 2;
  for (let s = 0; s < out.length; s++) {
    const centre = s + 0.5;
    const pos = (centre - half) / binS; // fractional bin index of this second's centre relative to midpoints
    const lo = Math.floor(pos);
    if (lo < 0) out[s] = counts[0]! / binS;
    else if (lo >= n - 1) out[s] = counts[n - 1]! / binS;
    else {
      const f = pos - lo;
      out[s] = ((1 - f) * counts[lo]! + f * counts[lo + 1]!) / binS;
    }
  }
  return out;
}
