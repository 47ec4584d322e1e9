/** Factors are kept in [MIN_FACTOR, MAX_FACTOR] so a zero window or a spike cannot poison them. */
export const MIN_FACTOR = 0;
export const MAX_FACTOR = 20;

/**
 * Multiplicative seasonal profile over one period (a day, a week) at a coarse resolution:
 * `buckets` factors with mean 1, linearly interpolated between bucket centres. Before it is
 * active it only accumulates raw means per bucket; `activate` turns them into factors once the
 * history covers two periods.
 */
export class SeasonalProfile {
  readonly periodS: number;
  readonly buckets: number;
  readonly bucketS: number;
  private readonly factors: Float64Array;
  /** Raw accumulators until activation (then dropped). */
  private sums: Float64Array;
  private counts: Float64Array;
  private firstS = NaN;
  private lastS = NaN;
  private active = false;
  private updatesSinceNormalize = 0;

  constructor(periodS: number, stepS: number, maxBuckets: number) {
    this.periodS = periodS;
    this.buckets = Math.max(1, Math.min(maxBuckets, Math.floor(periodS / Math.max(stepS, 1e-9))));
    this.bucketS = periodS / this.buckets;
    this.factors = new Float64Array(this.buckets).fill(1);
    this.sums = new Float64Array(this.buckets);
    this.counts = new Float64Array(this.buckets);
  }

  get isActive(): boolean {
    return this.active;
  }

  /** Seconds of history seen (first to last accumulated time). */
  get coveredS(): number {
    return Number.isFinite(this.firstS) ? this.lastS - this.firstS : 0;
  }

  /** Records a raw value at time `tS` (before activation). */
  accumulate(tS: number, value: number): void {
    if (this.active) return;
    if (!Number.isFinite(this.firstS)) this.firstS = tS;
    this.lastS = tS;
    const b = this.bucketOf(tS);
    this.sums[b]! += value;
    this.counts[b]!++;
  }

  /** True once the accumulated history spans at least two periods. */
  ready(stepS: number): boolean {
    return this.buckets > 1 && this.coveredS + stepS >= 2 * this.periodS;
  }

  /** Turns accumulated means into factors (mean 1); empty buckets take 1. */
  activate(): void {
    let total = 0;
    let n = 0;
    for (let b = 0; b < this.buckets; b++) {
      if (this.counts[b]! > 0) {
        total += this.sums[b]! / this.counts[b]!;
        n++;
      }
    }
    const overall = n > 0 ? total / n : 0;
    for (let b = 0; b < this.buckets; b++) {
      const c = this.counts[b]!;
      this.factors[b] = overall > 0 && c > 0 ? clampFactor(this.sums[b]! / c / overall) : 1;
    }
    this.normalize();
    this.active = true;
    this.sums = new Float64Array(0);
    this.counts = new Float64Array(0);
  }

  /**
   * Divides out a sub-period shape (e.g. the daily shape inside a weekly profile) so this profile
   * keeps only what differs between sub-periods. `sub` must divide `buckets`.
   */
  removeSubPeriod(sub: number): void {
    if (sub <= 0 || this.buckets % sub !== 0 || this.buckets === sub) return;
    const reps = this.buckets / sub;
    for (let i = 0; i < sub; i++) {
      let m = 0;
      for (let r = 0; r < reps; r++) m += this.factors[r * sub + i]!;
      m /= reps;
      for (let r = 0; r < reps; r++)
        this.factors[r * sub + i] = m > 0 ? clampFactor(this.factors[r * sub + i]! / m) : 1;
    }
    this.normalize();
  }

  /** Factor at time `tS`, interpolated between bucket centres (1 while inactive). */
  factorAt(tS: number): number {
    if (!this.active) return 1;
    const pos = this.positionOf(tS);
    const f = Math.floor(pos);
    const w = pos - f;
    const i0 = f < 0 ? this.buckets - 1 : f;
    const i1 = i0 + 1 === this.buckets ? 0 : i0 + 1;
    return this.factors[i0]! * (1 - w) + this.factors[i1]! * w;
  }

  /** Moves the factors around `tS` toward `ratio` by `gamma` (split by interpolation weight). */
  update(tS: number, ratio: number, gamma: number): void {
    if (!this.active || !Number.isFinite(ratio)) return;
    const r = clampFactor(ratio);
    const pos = this.positionOf(tS);
    const f = Math.floor(pos);
    const w = pos - f;
    const i0 = f < 0 ? this.buckets - 1 : f;
    const i1 = i0 + 1 === this.buckets ? 0 : i0 + 1;
    this.factors[i0]! += gamma * (1 - w) * (r - this.factors[i0]!);
    this.factors[i1]! += gamma * w * (r - this.factors[i1]!);
    if (++this.updatesSinceNormalize >= this.buckets) this.normalize();
  }

  private normalize(): void {
    this.updatesSinceNormalize = 0;
    let s = 0;
    for (let b = 0; b < this.buckets; b++) s += this.factors[b]!;
    const m = s / this.buckets;
    if (!(m > 0)) {
      this.factors.fill(1);
      return;
    }
    for (let b = 0; b < this.buckets; b++) this.factors[b] = this.factors[b]! / m;
  }

  private bucketOf(tS: number): number {
    const phase = ((tS % this.periodS) + this.periodS) % this.periodS;
    return Math.min(this.buckets - 1, Math.floor(phase / this.bucketS));
  }

  /** Phase of `tS` in bucket units, shifted so bucket centres fall on integers: in [-0.5, buckets - 0.5). */
  private positionOf(tS: number): number {
    let phase = tS % this.periodS;
    if (phase < 0) phase += this.periodS;
    return phase / this.bucketS - 0.5;
  }
}

function clampFactor(v: number): number {
  // biome-ignore lint/complexity/useMathMinMax: NaN must become MIN_FACTOR; Math.min/Math.max would return NaN
  return v > MAX_FACTOR ? MAX_FACTOR : v > MIN_FACTOR ? v : MIN_FACTOR;
}
