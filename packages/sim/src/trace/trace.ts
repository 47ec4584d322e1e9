/** A request-arrival trace: dense, evenly spaced bins of request counts (CSV `t,count`). */
export interface Trace {
  /** Where it came from (file path or a label), used in reports and errors. */
  readonly name: string;
  /** Bin width in seconds. */
  readonly binS: number;
  /** Requests per bin, bin i covering [i * binS, (i + 1) * binS) from the trace start. */
  readonly counts: Float64Array;
}

export function traceDurationS(trace: Trace): number {
  return trace.counts.length * trace.binS;
}
