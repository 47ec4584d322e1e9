import { median } from '@warmpool/domain';

export interface ConvergenceState {
  readonly converged: boolean;
  /** Passes seen so far. */
  readonly passes: number;
  /** Median of each complete window, oldest first. */
  readonly windowMediansMs: readonly number[];
  /** Lowest window median seen. */
  readonly bestWindowMedianMs: number | undefined;
  /** Median of the last complete window. */
  readonly lastWindowMedianMs: number | undefined;
  /** The steady-state estimate: the median of the last `windows` window medians (fewer if fewer). */
  readonly steadyMs: number | undefined;
  /** (max - min) / min of the last `windows` window medians; undefined before there are that many. */
  readonly spread: number | undefined;
  /** Relative fall over the last `windows` window medians (least-squares fit, > 0 = getting faster). */
  readonly fall: number | undefined;
}

/**
 * Decides when warm passes of one shape have converged, from latencies alone (pure, no clock).
 * Latencies are grouped into consecutive windows of `windowSize`. Converged once the medians of
 * the last `windows` windows agree: their relative spread ((max - min) / min) is within
 * `tolerance`, and they show no downward trend (the least-squares fit over them falls by less
 * than half the tolerance). It never compares against an all-time best, so a lucky fast first
 * window does not hold it back, and a series still improving is not cut short.
 */
export class ConvergenceDetector {
  private readonly current: number[] = [];
  private readonly medians: number[] = [];
  private passes = 0;
  private done = false;

  constructor(
    readonly windowSize: number,
    readonly tolerance = 0.1,
    readonly windows = 3,
  ) {
    if (!Number.isInteger(windowSize) || windowSize < 1)
      throw new RangeError(`windowSize must be an integer >= 1, got ${windowSize}`);
    if (!(tolerance >= 0)) throw new RangeError(`tolerance must be >= 0, got ${tolerance}`);
    if (!Number.isInteger(windows) || windows < 2)
      throw new RangeError(`windows must be an integer >= 2, got ${windows}`);
  }

  add(latencyMs: number): ConvergenceState {
    if (!Number.isFinite(latencyMs) || latencyMs < 0)
      throw new RangeError(`latency must be a finite number >= 0, got ${latencyMs}`);
    this.passes += 1;
    this.current.push(latencyMs);
    if (this.current.length === this.windowSize) {
      this.medians.push(median(this.current));
      this.current.length = 0;
      if (!this.done) {
        const { spread, fall } = this.measures();
        this.done =
          spread !== undefined && fall !== undefined && spread <= this.tolerance + 1e-12 && fall < this.tolerance / 2;
      }
    }
    return this.state();
  }

  state(): ConvergenceState {
    const { spread, fall } = this.measures();
    const last = this.medians.slice(-this.windows);
    return {
      converged: this.done,
      passes: this.passes,
      windowMediansMs: [...this.medians],
      bestWindowMedianMs: this.medians.length > 0 ? Math.min(...this.medians) : undefined,
      lastWindowMedianMs: this.medians.at(-1),
      steadyMs: last.length > 0 ? median(last) : undefined,
      spread,
      fall,
    };
  }

  /** Why it has not converged (yet), in one short line; undefined once converged. */
  reason(): string | undefined {
    if (this.done) return undefined;
    const { spread, fall } = this.measures();
    if (spread === undefined || fall === undefined) {
      return `only ${this.medians.length} of ${this.windows} windows of ${this.windowSize} passes complete`;
    }
    const last = this.medians.slice(-this.windows);
    const range = `last ${this.windows} window medians ${fmt(Math.min(...last))}-${fmt(Math.max(...last))} ms`;
    if (spread > this.tolerance) return `${range}, spread ${pct(spread)} > ${pct(this.tolerance)}`;
    return `${range}, still falling (${pct(fall)} over ${this.windows} windows)`;
  }

  private measures(): { spread: number | undefined; fall: number | undefined } {
    if (this.medians.length < this.windows) return { spread: undefined, fall: undefined };
    const last = this.medians.slice(-this.windows);
    const lo = Math.min(...last);
    const spread = lo > 0 ? (Math.max(...last) - lo) / lo : 0;
    // Least-squares slope over the window index, as a fraction of the mean over the whole span.
    const n = last.length;
    const meanX = (n - 1) / 2;
    const meanY = last.reduce((a, b) => a + b, 0) / n;
    let num = 0;
    let den = 0;
    last.forEach((y, x) => {
      num += (x - meanX) * (y - meanY);
      den += (x - meanX) ** 2;
    });
    const fall = meanY > 0 ? (-(num / den) * (n - 1)) / meanY : 0;
    return { spread, fall };
  }
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(0)} %`;
}
