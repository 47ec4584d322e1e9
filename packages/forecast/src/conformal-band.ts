import { probit, quantile as ssQuantile } from 'simple-statistics';
import type { ResidualScale } from './forecaster-options.js';
import { PendingForecasts, TRACKED_HORIZONS, isScored, trackedLo, trackedW } from './pending-forecasts.js';
import { RingBuffer } from './ring-buffer.js';
import { SortedWindow } from './sorted-window.js';

export interface ConformalBandOptions {
  readonly quantile: number;
  readonly residualWindow: number;
  readonly residualScale: ResidualScale;
  readonly headroomFraction: number;
  /** Adaptive conformal step (Gibbs & Candes 2021): how fast the working level reacts to misses. 0 = off. */
  readonly adaptRate: number;
}

/** Anything that forecasts a p50 k steps after its latest step. */
export interface PointModel {
  safePredict(stepsAhead: number): number;
}

/** Upper band paths for a p50 path. */
export interface BandPaths {
  readonly upperPerS: number[];
  readonly peakUpperPerS: number[];
}

/**
 * Conformal uncertainty band from a forecaster's own realized errors.
 *
 * For each tracked horizon k (1, 2, 4 ... 64 steps; in between interpolated) it remembers the
 * point forecast made k steps before a step and, when the step arrives, keeps two normalized
 * scores in sorted windows of the last `residualWindow`: `(mean - p50) / scale(p50)` and
 * `(peak - p50) / scale(p50)`, with scale = sqrt(p50 + floor) by default (Poisson-like noise).
 * A new forecast adds the working-level quantile of those scores (finite-sample corrected)
 * times `scale(p50)`. The working level starts at `quantile` and adapts to realized misses
 * (adaptive conformal inference). Until enough scores exist it uses a prior:
 * `p50 * (1 + headroom)` plus a Poisson term, times the observed peak-to-mean ratio for the peak.
 */
export class ConformalBand {
  private readonly opts: ConformalBandOptions;
  /** The band's quantile now: `opts.quantile` until `setQuantile` moves it. */
  private q: number;
  /** Created on first use: a forecaster whose band is not tracked never allocates them. */
  private pendingStore: PendingForecasts | undefined;
  private readonly meanScores: (SortedWindow | undefined)[];
  private readonly peakScores: (SortedWindow | undefined)[];
  /** Recent peak/mean ratios for the prior; created on first use. */
  private peakRatios: RingBuffer | undefined;
  private readonly qMean: Float64Array;
  private readonly qPeak: Float64Array;
  private readonly minSamples: number;
  /** Scores kept per horizon: `residualWindow`, or 2 / (1 - q) for high quantiles (500 at 0.996). */
  private readonly window: number;
  private zPrior: number;
  /** EW mean of observed step means (req/s), for the scale floor. */
  private typicalLevel = NaN;
  private peakRatioQ = NaN;
  private peakRatioDirty = 0;
  /** Working quantile levels per horizon (adaptive conformal). */
  private readonly levelMean: Float64Array;
  private readonly levelPeak: Float64Array;

  constructor(opts: ConformalBandOptions) {
    this.opts = opts;
    this.q = opts.quantile;
    const n = TRACKED_HORIZONS.length;
    this.meanScores = TRACKED_HORIZONS.map(() => undefined);
    this.peakScores = TRACKED_HORIZONS.map(() => undefined);
    this.qMean = new Float64Array(n).fill(NaN);
    this.qPeak = new Float64Array(n).fill(NaN);
    // The finite-sample conformal quantile needs ceil((n + 1) q) <= n, i.e. n >= q / (1 - q); below
    // that the level clamps to 1 (the window's max), which is the conservative choice. So scores
    // replace the prior after q / (1 - q) of them (19 at 0.95), but after at most MAX_MIN_SAMPLES:
    // at 0.996 (a 10-min step) waiting for 249 would keep the rough prior for 41 hours.
    this.minSamples = Math.max(8, Math.min(MAX_MIN_SAMPLES, Math.ceil(opts.quantile / (1 - opts.quantile))));
    this.zPrior = probit(opts.quantile);
    // A tail quantile needs a window holding a few tail events: at 0.996 a 256-score window is
    // its own max most of the time, and misses ran 2.5x nominal on the 10-min ServeGen trace.
    this.window = Math.max(opts.residualWindow, Math.ceil(HIGH_QUANTILE_TAIL_EVENTS / (1 - opts.quantile)));
    this.levelMean = new Float64Array(n).fill(opts.quantile);
    this.levelPeak = new Float64Array(n).fill(opts.quantile);
  }

  /** The quantile the band is built for now. */
  get quantile(): number {
    return this.q;
  }

  /**
   * Moves the band's quantile (e.g. tuned from the model's SLA pressure) without forgetting any score. The adaptive
   * working levels keep what they learned as an offset in units of the nominal miss rate (level = q + k (1 - q)), so
   * a move and its reverse give the band back; the prior follows. The score windows keep the size chosen for the
   * constructor's quantile (256 scores cover quantiles up to 0.99); below the finite-sample minimum the level clamps
   * to the window's max, the conservative side.
   */
  setQuantile(q: number): void {
    if (!(q > 0.5 && q < 1)) throw new RangeError(`band quantile must be in (0.5, 1), got ${q}`);
    const old = this.q;
    if (q === old) return;
    this.q = q;
    this.zPrior = probit(q);
    const ratio = (1 - q) / (1 - old);
    for (let h = 0; h < this.levelMean.length; h++) {
      this.levelMean[h] = Math.max(0.5, q + (this.levelMean[h]! - old) * ratio);
      this.levelPeak[h] = Math.max(0.5, q + (this.levelPeak[h]! - old) * ratio);
    }
    this.peakRatioDirty++;
  }

  /** Residual normalization for a forecast level (req/s) at a step width. */
  scale(p50PerS: number, stepS: number): number {
    // Floor: one request per step, or a tenth of the typical level, so a forecast near zero
    // (a quiet hour, a day-old zero window) does not turn ordinary errors into huge scores.
    const floor = Math.max(
      1 / Math.max(stepS, 1e-9),
      // biome-ignore lint/complexity/useMathMinMax: typicalLevel starts as NaN, which must count as 0 here; Math.max would return NaN
      LEVEL_FLOOR_FRACTION * (this.typicalLevel > 0 ? this.typicalLevel : 0),
    );
    // biome-ignore lint/complexity/useMathMinMax: a NaN forecast must count as 0 here; Math.max would return NaN
    const p = p50PerS > 0 ? p50PerS : 0;
    switch (this.opts.residualScale) {
      case 'sqrt':
        return Math.sqrt(p + floor);
      case 'level':
        return Math.max(p, floor);
      case 'none':
        return 1;
    }
  }

  /** Scores the forecasts that targeted step `idx` against what was observed. */
  record(idx: number, meanPerS: number, peakPerS: number, stepS: number): void {
    for (let h = 0; h < TRACKED_HORIZONS.length; h++) {
      const p = this.pendingStore ? this.pendingStore.take(h, idx) : NaN;
      if (!Number.isFinite(p)) continue;
      const s = this.scale(p, stepS);
      const meanScore = (meanPerS - p) / s;
      const peakScore = (peakPerS - p) / s;
      this.adapt(h, meanScore, peakScore);
      const means = this.meanScores[h] ?? new SortedWindow(this.window);
      this.meanScores[h] = means;
      means.push(meanScore);
      const peaks = this.peakScores[h] ?? new SortedWindow(this.window);
      this.peakScores[h] = peaks;
      peaks.push(peakScore);
    }
    this.typicalLevel = Number.isFinite(this.typicalLevel)
      ? this.typicalLevel + LEVEL_ALPHA * (meanPerS - this.typicalLevel)
      : meanPerS;
    if (meanPerS > 0) {
      this.peakRatios ??= new RingBuffer(PEAK_RATIO_WINDOW);
      this.peakRatios.push(peakPerS / meanPerS);
      this.peakRatioDirty++;
    }
  }

  /** Forgets the forecasts that targeted a step with no data. */
  skip(idx: number): void {
    if (!this.pendingStore) return;
    for (let h = 0; h < TRACKED_HORIZONS.length; h++) this.pendingStore.take(h, idx);
  }

  /** Remembers the point forecasts made after step `idx`; `model.safePredict(k)` is the forecast k steps ahead. */
  expect(idx: number, model: PointModel): void {
    for (let h = 0; h < TRACKED_HORIZONS.length; h++) {
      if (!isScored(h, idx)) continue;
      this.pendingStore ??= new PendingForecasts(TRACKED_HORIZONS);
      this.pendingStore.store(h, idx, model.safePredict(TRACKED_HORIZONS[h]!));
    }
  }

  /** Drops all scores, pending forecasts and their memory (the band is no longer tracked). */
  release(): void {
    this.resetScores();
    this.pendingStore = undefined;
    this.peakRatios = undefined;
    this.peakRatioQ = NaN;
  }

  /** Forgets all scores (the model changed regime, e.g. a season started); pending forecasts stay. */
  resetScores(): void {
    this.meanScores.fill(undefined);
    this.peakScores.fill(undefined);
    this.qMean.fill(NaN);
    this.qPeak.fill(NaN);
    this.levelMean.fill(this.q);
    this.levelPeak.fill(this.q);
  }

  /** Number of scores held at the shortest horizon. */
  get samples(): number {
    return this.meanScores[0]?.size ?? 0;
  }

  /** Upper and peak-upper paths for a p50 path (p50[j] is j + 1 steps ahead). */
  build(p50PerS: readonly number[], stepS: number): BandPaths {
    this.refresh();
    const upper = new Array<number>(p50PerS.length);
    const peak = new Array<number>(p50PerS.length);
    for (let j = 0; j < p50PerS.length; j++) {
      const p = p50PerS[j]!;
      const lo = trackedLo(j + 1);
      const w = trackedW(j + 1);
      const hi = Math.min(lo + 1, TRACKED_HORIZONS.length - 1);
      const qm = this.qMean[lo]! * (1 - w) + (w > 0 ? this.qMean[hi]! * w : 0);
      const qp = this.qPeak[lo]! * (1 - w) + (w > 0 ? this.qPeak[hi]! * w : 0);
      let u: number;
      let pk: number;
      if (Number.isFinite(qm) && Number.isFinite(qp)) {
        const s = this.scale(p, stepS);
        u = p + Math.max(0, qm) * s;
        pk = p + qp * s;
      } else {
        u = this.priorUpper(p, stepS);
        pk = u * this.priorPeakRatio();
      }
      upper[j] = finiteAtLeast(u, p);
      peak[j] = finiteAtLeast(pk, upper[j]!);
    }
    return { upperPerS: upper, peakUpperPerS: peak };
  }

  /**
   * Adaptive conformal inference: when the band in force at this horizon missed, raise the working
   * level; when it held, lower it a little, so that misses settle at 1 - quantile even when the
   * error distribution drifts (exchangeability does not hold for traffic).
   */
  private adapt(h: number, meanScore: number, peakScore: number): void {
    const rate = this.opts.adaptRate;
    const means = this.meanScores[h];
    const peaks = this.peakScores[h];
    if (rate <= 0 || !means || !peaks || means.size < this.minSamples) return;
    const correction = (means.size + 1) / means.size;
    const qm = means.quantile(this.levelMean[h]! * correction);
    const qp = peaks.quantile(this.levelPeak[h]! * correction);
    if (!Number.isFinite(qm) || !Number.isFinite(qp)) return;
    const target = 1 - this.q;
    const lo = Math.max(0.5, this.q - 0.25);
    const missMean = meanScore > Math.max(0, qm) ? 1 : 0;
    const missPeak = peakScore > Math.max(qp, Math.max(0, qm)) ? 1 : 0;
    // Capped above: on heavy-tailed (spiky) series chasing every burst would fatten the band for long.
    const hi = this.q + ADAPT_HEADROOM * target;
    this.levelMean[h] = clamp(this.levelMean[h]! + rate * (missMean - target), lo, hi);
    this.levelPeak[h] = clamp(this.levelPeak[h]! + rate * (missPeak - target), lo, hi);
  }

  private priorUpper(p: number, stepS: number): number {
    const perStep = 1 / Math.max(stepS, 1e-9);
    return p * (1 + this.opts.headroomFraction) + this.zPrior * Math.sqrt((p + perStep) * perStep);
  }

  private priorPeakRatio(): number {
    if (this.peakRatioDirty > 0 && this.peakRatios && this.peakRatios.size >= 4) {
      this.peakRatioQ = ssQuantile(this.peakRatios.toArray(), this.q);
      this.peakRatioDirty = 0;
    }
    return Number.isFinite(this.peakRatioQ) ? Math.max(1, this.peakRatioQ) : 1 + this.opts.headroomFraction;
  }

  /** Reads the per-horizon quantiles; horizons without enough scores carry the shorter one's. */
  private refresh(): void {
    for (let h = 0; h < TRACKED_HORIZONS.length; h++) {
      const means = this.meanScores[h];
      const peaks = this.peakScores[h];
      const n = means?.size ?? 0;
      if (!means || !peaks || n < this.minSamples) {
        this.qMean[h] = h > 0 ? this.qMean[h - 1]! : NaN;
        this.qPeak[h] = h > 0 ? this.qPeak[h - 1]! : NaN;
        continue;
      }
      // Windows stay sorted and the working levels move with every score (adaptive conformal):
      // reading the quantile is O(1).
      const correction = (n + 1) / n;
      this.qMean[h] = means.quantile(this.levelMean[h]! * correction);
      this.qPeak[h] = peaks.quantile(this.levelPeak[h]! * correction);
    }
  }
}

/** The window holds at least this many expected exceedances of the quantile. */
const HIGH_QUANTILE_TAIL_EVENTS = 2;
/** Scores needed before the conformal quantile replaces the prior, at most. */
const MAX_MIN_SAMPLES = 32;
/** Peak/mean ratios kept for the prior band (only used until scores exist). */
const PEAK_RATIO_WINDOW = 128;
/** Scale floor as a fraction of the typical level. */
const LEVEL_FLOOR_FRACTION = 0.1;
/** Smoothing of the typical level (half-life ~ 700 steps). */
const LEVEL_ALPHA = 0.001;
/** The adaptive level may rise at most this fraction of the nominal miss rate above the quantile. */
const ADAPT_HEADROOM = 0.5;

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

function finiteAtLeast(value: number, floor: number): number {
  const f = Number.isFinite(floor) && floor > 0 ? floor : 0;
  return Number.isFinite(value) && value > f ? value : f;
}
