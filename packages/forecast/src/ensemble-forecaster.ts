import type { ForecastBand, StepObservation } from '@warmpool/domain';
import { ValidationError } from '@warmpool/domain';
import { BandedForecaster, type CleanStep } from './banded-forecaster.js';
import { BurstDetector } from './burst-detector.js';
import {
  resolveForecasterOptions,
  type ForecasterOptions,
  type ResolvedForecasterOptions,
} from './forecaster-options.js';
import { HoltWintersForecaster } from './holt-winters-forecaster.js';
import { PendingForecasts, TRACKED_HORIZONS, isScored, trackedLo, trackedW } from './pending-forecasts.js';
import { ReactiveForecaster } from './reactive-forecaster.js';
import { SeasonalNaiveForecaster } from './seasonal-naive-forecaster.js';
import { alphaForHalfLife } from './smoothing.js';

/** Member errors are sampled this many times per horizon length (see horizonStride). */
const WEIGHT_SAMPLES_PER_HORIZON = 4;
/** Half-life (in scored forecasts) of each member's recent absolute error. */
const ERROR_HALF_LIFE = 24;
/**
 * Weights are proportional to 1 / (recent mean absolute error)^4: on noisy series the members'
 * errors differ by a few percent only, and a flatter rule would average the smooth member with
 * the noisy ones (power 4 beat 2 and matched 8 on the shared traces).
 */
function inversePower(e: number): number {
  const e2 = e * e;
  return 1 / (e2 * e2);
}

/** Seasonal-naive joins by default only when a day is at most this many steps (a minute or more for a real day). */
const SEASONAL_NAIVE_MAX_DAY_STEPS = 1440;
function withSeasonalNaive(o: ResolvedForecasterOptions): boolean {
  return o.ensembleSeasonalNaive === 'auto'
    ? o.stepS !== undefined && o.dayS / o.stepS <= SEASONAL_NAIVE_MAX_DAY_STEPS
    : o.ensembleSeasonalNaive;
}

/**
 * Weighted mean of member p50s, weights from each member's recent absolute error at each tracked
 * horizon (so a 2-step forecast is weighted by 2-step errors, a 30-step one by 32-step errors).
 * Its band is the conformal band of its own combined errors. With less than `minHistorySteps` of
 * history it answers with the reactive member (its band: headroom, then its own errors).
 */
export class EnsembleForecaster extends BandedForecaster {
  readonly name: string = 'ensemble';
  readonly members: readonly BandedForecaster[];
  private readonly reactive: ReactiveForecaster;
  private readonly pending: PendingForecasts[];
  /** errors[m * H + h]: EW mean absolute error of member m at tracked horizon h (NaN = none yet). */
  private readonly errors: Float64Array;
  /** weightsByHorizon[h * M + m]. */
  private readonly weightsByHorizon: Float64Array;
  private readonly aError = alphaForHalfLife(ERROR_HALF_LIFE);
  private readonly methodCents: Int32Array;
  private methodText = '';
  private lastWeights: Record<string, number> | undefined;
  private readonly lastRounded: Float64Array;
  /** Member predictions at the tracked horizons made in the latest update: memberAt[m * H + h]. */
  private readonly memberAt: Float64Array;
  private memberAtValid = false;

  /**
   * @param members fresh (never fed) forecasters to combine; default Holt-Winters, burst and
   *   reactive (+ seasonal-naive per `ensembleSeasonalNaive`). A reactive member is added when
   *   none is given: it is the fallback. Names must be distinct (they key the weights).
   * @throws ValidationError for bad options or duplicate member names.
   */
  constructor(options: ForecasterOptions = {}, members?: readonly BandedForecaster[]) {
    const resolved = resolveForecasterOptions(options);
    super(resolved);
    const given = members ?? [
      new HoltWintersForecaster(options),
      new BurstDetector(options),
      new ReactiveForecaster(options),
      ...(withSeasonalNaive(resolved) ? [new SeasonalNaiveForecaster(options)] : []),
    ];
    const found = given.find((m): m is ReactiveForecaster => m instanceof ReactiveForecaster);
    this.reactive = found ?? new ReactiveForecaster(options);
    this.members = found ? [...given] : [...given, this.reactive];
    const names = this.members.map((m) => m.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup !== undefined) {
      throw new ValidationError(
        [{ path: 'members', value: names, allowed: 'forecasters with distinct names' }],
        'ensemble members',
      );
    }
    // Only the reactive member's own band is ever asked for (the fallback); the others save the work.
    for (const m of this.members) if (m !== this.reactive) m.trackBand(false);
    const M = this.members.length;
    const H = TRACKED_HORIZONS.length;
    this.pending = this.members.map(() => new PendingForecasts(TRACKED_HORIZONS));
    this.errors = new Float64Array(M * H).fill(NaN);
    this.weightsByHorizon = new Float64Array(M * H).fill(1 / M);
    this.methodCents = new Int32Array(M).fill(-1);
    this.lastRounded = new Float64Array(M).fill(NaN);
    this.memberAt = new Float64Array(M * H);
  }

  override observe(step: StepObservation): void {
    for (const m of this.members) m.observe(step);
    super.observe(step);
    this.memberAtValid = false;
    // History only grows: once past the fallback, the reactive member's own band is never asked for.
    if (this.historySteps >= this.options.minHistorySteps) this.reactive.trackBand(false);
  }

  /** Moves the band's quantile, the reactive fallback's with it (the only member whose band is asked for). */
  override setQuantile(q: number): void {
    super.setQuantile(q);
    this.reactive.setQuantile(q);
  }

  protected override computeForecast(horizonSteps: number): ForecastBand {
    if (this.historySteps < this.options.minHistorySteps) {
      const b = this.reactive.forecast(horizonSteps);
      return {
        ...b,
        method: `ensemble: reactive fallback with headroom (${this.historySteps}/${this.options.minHistorySteps} steps of history)`,
        weights: { reactive: 1 },
      };
    }
    return super.computeForecast(horizonSteps);
  }

  /** Member weights for a forecast `stepsAhead` ahead. */
  weightsAt(stepsAhead: number): Record<string, number> {
    const out: Record<string, number> = {};
    const lo = trackedLo(stepsAhead);
    const w = trackedW(stepsAhead);
    const hi = Math.min(lo + 1, TRACKED_HORIZONS.length - 1);
    const M = this.members.length;
    for (let m = 0; m < M; m++) {
      out[this.members[m]!.name] =
        this.weightsByHorizon[lo * M + m]! * (1 - w) + this.weightsByHorizon[hi * M + m]! * w;
    }
    return out;
  }

  protected update(step: CleanStep): void {
    const M = this.members.length;
    const H = TRACKED_HORIZONS.length;
    for (let m = 0; m < M; m++) {
      const member = this.members[m]!;
      for (let h = 0; h < H; h++) {
        const p = this.pending[m]!.take(h, step.idx);
        if (Number.isFinite(p)) {
          const e = Math.abs(step.meanPerS - p);
          const i = m * H + h;
          this.errors[i] = Number.isFinite(this.errors[i]!) ? this.errors[i]! + this.aError * (e - this.errors[i]!) : e;
        }
        const forBand = isScored(h, step.idx);
        const forWeights = isScored(h, step.idx, WEIGHT_SAMPLES_PER_HORIZON);
        if (!forBand && !forWeights) continue;
        const p2 = member.safePredict(TRACKED_HORIZONS[h]!);
        this.memberAt[m * H + h] = p2;
        if (forWeights) this.pending[m]!.store(h, step.idx, p2);
      }
    }
    this.reweigh();
    // The band asks for the tracked horizons right after this update: reuse these predictions.
    this.memberAtValid = true;
  }

  protected predict(stepsAhead: number): number {
    const lo = trackedLo(stepsAhead);
    const w = trackedW(stepsAhead);
    const hi = Math.min(lo + 1, TRACKED_HORIZONS.length - 1);
    const M = this.members.length;
    const H = TRACKED_HORIZONS.length;
    const cached = this.memberAtValid && w === 0 && TRACKED_HORIZONS[lo] === stepsAhead;
    let sum = 0;
    for (let m = 0; m < M; m++) {
      const wm = this.weightsByHorizon[lo * M + m]! * (1 - w) + this.weightsByHorizon[hi * M + m]! * w;
      if (wm > 0) sum += wm * (cached ? this.memberAt[m * H + lo]! : this.members[m]!.safePredict(stepsAhead));
    }
    return sum;
  }

  private reweigh(): void {
    const M = this.members.length;
    const H = TRACKED_HORIZONS.length;
    for (let h = 0; h < H; h++) {
      let known = 0;
      let errSum = 0;
      for (let m = 0; m < M; m++) {
        const e = this.errors[m * H + h]!;
        if (Number.isFinite(e)) {
          known++;
          errSum += e;
        }
      }
      if (known === 0) continue;
      // A member not yet scored at this horizon gets the mean error of the others.
      const fallback = errSum / known;
      // Errors below 1e-6 of the mean count as equal: keeps weights finite on perfect fits.
      const floor = Math.max(fallback * 1e-6, 1e-12);
      let total = 0;
      for (let m = 0; m < M; m++) {
        const e = this.errors[m * H + h]!;
        const inv = inversePower(Math.max(Number.isFinite(e) ? e : fallback, floor));
        this.weightsByHorizon[h * M + m] = inv;
        total += inv;
      }
      for (let m = 0; m < M; m++) this.weightsByHorizon[h * M + m] = this.weightsByHorizon[h * M + m]! / total;
    }
  }

  /** Weights averaged over the steps of a forecast path (rounded to 3 decimals). */
  protected override pathWeights(horizonSteps: number): Record<string, number> {
    const M = this.members.length;
    const sums = new Float64Array(M);
    const n = Math.max(1, horizonSteps);
    const last = TRACKED_HORIZONS.length - 1;
    for (let j = 1; j <= n; j++) {
      const lo = trackedLo(j);
      const w = trackedW(j);
      const hi = Math.min(lo + 1, last);
      for (let m = 0; m < M; m++)
        sums[m]! += this.weightsByHorizon[lo * M + m]! * (1 - w) + this.weightsByHorizon[hi * M + m]! * w;
    }
    let same = this.lastWeights !== undefined;
    for (let m = 0; m < M; m++) {
      const r = Math.round((sums[m]! / n) * 1e3) / 1e3;
      if (r !== this.lastRounded[m]) same = false;
      this.lastRounded[m] = r;
    }
    // Unchanged weights: hand out the same (never mutated) record again.
    if (same) return this.lastWeights!;
    const out: Record<string, number> = {};
    for (let m = 0; m < M; m++) out[this.members[m]!.name] = this.lastRounded[m]!;
    this.lastWeights = Object.freeze(out);
    return out;
  }

  /** `ensemble(holt-winters=0.62, burst=0.20, reactive=0.18)`; rebuilt only when a rounded weight changes. */
  protected override describe(weights?: Readonly<Record<string, number>>): string {
    if (!weights) return super.describe();
    let changed = this.methodText === '';
    for (let m = 0; m < this.members.length; m++) {
      const cents = Math.round(weights[this.members[m]!.name]! * 100);
      if (cents !== this.methodCents[m]) {
        this.methodCents[m] = cents;
        changed = true;
      }
    }
    if (changed) {
      this.methodText = `ensemble(${this.members.map((m, i) => `${m.name}=${(this.methodCents[i]! / 100).toFixed(2)}`).join(', ')})`;
    }
    return this.methodText;
  }
}
