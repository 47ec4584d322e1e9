/** Median of a non-empty list (mean of the middle two for even lengths). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export interface ConvergenceState {
  readonly converged: boolean;
  /** Passes seen so far. */
  readonly passes: number;
  /** Median of each complete window, oldest first. */
  readonly windowMediansMs: readonly number[];
  /** Lowest window median seen. */
  readonly bestWindowMedianMs: number | undefined;
  /** Median of the last complete window (the steady-state estimate once converged). */
  readonly lastWindowMedianMs: number | undefined;
}

/**
 * Decides when warm passes of one shape have converged, from latencies alone (pure, no clock).
 * Latencies are grouped into consecutive windows of `windowSize`; after each complete window it is
 * converged when that window's median is within `tolerance` of the previous window's median AND
 * within `tolerance` of the best (lowest) window median seen so far.
 */
export class ConvergenceDetector {
  private readonly current: number[] = [];
  private readonly medians: number[] = [];
  private passes = 0;
  private done = false;

  constructor(
    readonly windowSize: number,
    readonly tolerance = 0.1,
  ) {
    if (!Number.isInteger(windowSize) || windowSize < 1) throw new RangeError(`windowSize must be an integer >= 1, got ${windowSize}`);
    if (!(tolerance >= 0)) throw new RangeError(`tolerance must be >= 0, got ${tolerance}`);
  }

  add(latencyMs: number): ConvergenceState {
    if (!Number.isFinite(latencyMs) || latencyMs < 0) throw new RangeError(`latency must be a finite number >= 0, got ${latencyMs}`);
    this.passes += 1;
    this.current.push(latencyMs);
    if (this.current.length === this.windowSize) {
      const m = median(this.current);
      this.current.length = 0;
      const prev = this.medians.at(-1);
      const best = this.medians.length > 0 ? Math.min(...this.medians) : undefined;
      this.medians.push(m);
      if (prev !== undefined && best !== undefined && !this.done) {
        this.done = within(m, prev, this.tolerance) && within(m, Math.min(best, m), this.tolerance);
      }
    }
    return this.state();
  }

  state(): ConvergenceState {
    return {
      converged: this.done,
      passes: this.passes,
      windowMediansMs: [...this.medians],
      bestWindowMedianMs: this.medians.length > 0 ? Math.min(...this.medians) : undefined,
      lastWindowMedianMs: this.medians.at(-1),
    };
  }
}

/** |a - ref| <= tolerance * ref */
function within(a: number, ref: number, tolerance: number): boolean {
  return Math.abs(a - ref) <= tolerance * ref;
}
