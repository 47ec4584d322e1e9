import type { LoadTrace } from '@warmpool/loadgen';

/** A trace slice replayed `speedX` times faster and scaled, as per-wall-second request counts. */
export interface CompressedSlice {
  /** Expected requests per wall second, oldest first (fractions kept: they are rates). */
  readonly countsPerS: readonly number[];
}

/**
 * The requests per wall second of trace seconds [fromS, toS) replayed at `speedX` (trace seconds per wall second)
 * with every count multiplied by `scale`: the same load the TraceLoadGenerator sends, so a history made from the
 * earlier part of a trace looks to the forecaster like what the live load balancer later counts.
 */
export function compressTrace(
  trace: LoadTrace,
  fromS: number,
  toS: number,
  speedX: number,
  scale: number,
): CompressedSlice {
  const wallS = Math.max(0, Math.floor((toS - fromS) / speedX));
  const counts = new Array<number>(wallS).fill(0);
  for (let k = 0; k < wallS; k++) {
    const s = fromS + k * speedX;
    const e = s + speedX;
    const first = Math.max(0, Math.floor((s - trace.startS) / trace.binS));
    const last = Math.min(trace.counts.length - 1, Math.ceil((e - trace.startS) / trace.binS) - 1);
    let sum = 0;
    for (let j = first; j <= last; j++) {
      const b0 = trace.startS + j * trace.binS;
      const overlap = Math.min(e, b0 + trace.binS) - Math.max(s, b0);
      if (overlap > 0) sum += (trace.counts[j]! * overlap) / trace.binS;
    }
    counts[k] = sum * scale;
  }
  return { countsPerS: counts };
}

/** The `t,count` CSV of a compressed slice, 1-s bins with t = `firstS`, `firstS + 1`, ... (epoch seconds for a history). */
export function historyCsv(slice: CompressedSlice, firstS = 0): string {
  return `t,count\n${slice.countsPerS.map((c, t) => `${firstS + t},${Number(c.toFixed(3))}`).join('\n')}\n`;
}
