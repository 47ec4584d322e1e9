import type { ForecastBand, Forecaster, StepObservation } from '@warmpool/domain';
import { ValidationError } from '@warmpool/domain';
import { ConformalBand } from './conformal-band.js';
import type { ResolvedForecasterOptions } from './forecaster-options.js';
import { StepClock } from './step-clock.js';

/** Longest horizon a forecast may ask for (steps). */
export const MAX_HORIZON_STEPS = 100_000;

/** A cleaned observation as the models see it: finite, non-negative, peak >= mean. */
export interface CleanStep {
  readonly idx: number;
  readonly startS: number;
  readonly meanPerS: number;
  readonly peakPerS: number;
}

/**
 * Base of every forecaster: step bookkeeping, input cleaning, gaps, and the conformal band.
 * A subclass supplies a point model: `update` with a clean step, `predict(k)` = p50 k steps
 * after the last update.
 */
export abstract class BandedForecaster implements Forecaster {
  abstract readonly name: string;
  protected readonly options: ResolvedForecasterOptions;
  protected readonly clock: StepClock;
  protected readonly band: ConformalBand;
  /** Index of the last step that updated the model (-1 before any). */
  protected lastUpdateIdx = -1;
  private observed = 0;
  private ignored = 0;
  private bandTracking = true;
  /** Bumped by every observation; the cached band is valid for one version. */
  private version = 0;
  private cached: ForecastBand | undefined;
  private cachedH = -1;
  private cachedVersion = -1;

  constructor(options: ResolvedForecasterOptions) {
    this.options = options;
    this.clock = new StepClock(options.stepS);
    this.band = new ConformalBand(options);
  }

  /** Steps with data seen so far. */
  get historySteps(): number {
    return this.observed;
  }

  /** Observations refused because they were not after the previous one or had no finite start. */
  get ignoredSteps(): number {
    return this.ignored;
  }

  /**
   * Turns the scoring of this forecaster's own errors on or off. Off (used for ensemble members
   * whose band is never asked for) saves the work and frees the score windows; `forecast` then
   * gives the headroom prior band.
   */
  trackBand(on: boolean): void {
    if (!on && this.bandTracking) this.band.release();
    this.bandTracking = on;
    this.version++;
  }

  get stepS(): number {
    return this.clock.stepS;
  }

  /** Moves the band's quantile, keeping every score (see `ConformalBand.setQuantile`). */
  setQuantile(q: number): void {
    if (q === this.band.quantile) return;
    this.band.setQuantile(q);
    this.version++;
  }

  observe(step: StepObservation): void {
    this.version++;
    const { idx, inferred } = this.clock.advance(step.startS);
    if (idx < 0) {
      this.ignored++;
      return;
    }
    if (inferred) this.onStepInferred();
    const mean = step.meanPerS;
    if (!Number.isFinite(mean) || mean < 0) {
      if (this.bandTracking) this.band.skip(idx);
      this.onGap(idx);
      return;
    }
    const rawPeak = step.peakPerS;
    const peak = Number.isFinite(rawPeak) && rawPeak > mean ? rawPeak : mean;
    const clean: CleanStep = { idx, startS: step.startS, meanPerS: mean, peakPerS: peak };
    if (this.bandTracking) this.band.record(idx, mean, peak, this.clock.stepS);
    this.update(clean);
    this.lastUpdateIdx = idx;
    this.observed++;
    if (this.bandTracking) this.band.expect(idx, this);
  }

  /**
   * Forecast for the next `horizonSteps` steps. Between two observations the same request gets
   * the same (frozen) band back without recomputation: the planner asks every tick, steps may be
   * minutes long.
   */
  forecast(horizonSteps: number): ForecastBand {
    checkHorizon(horizonSteps);
    if (this.cached && this.cachedH === horizonSteps && this.cachedVersion === this.version) return this.cached;
    const band = deepFreeze(this.computeForecast(horizonSteps));
    this.cached = band;
    this.cachedH = horizonSteps;
    this.cachedVersion = this.version;
    return band;
  }

  /** Builds a fresh band (no cache). */
  protected computeForecast(horizonSteps: number): ForecastBand {
    const stepS = this.clock.stepS;
    const p50 = this.p50Path(horizonSteps);
    const { upperPerS, peakUpperPerS } = this.band.build(p50, stepS);
    const weights = this.pathWeights(horizonSteps);
    const startS = Number.isFinite(this.clock.nextStartS) ? this.clock.nextStartS : 0;
    const method = this.describe(weights);
    const quantile = this.band.quantile;
    const historySteps = this.observed;
    return weights
      ? { startS, stepS, p50PerS: p50, upperPerS, peakUpperPerS, quantile, method, weights, historySteps }
      : { startS, stepS, p50PerS: p50, upperPerS, peakUpperPerS, quantile, method, historySteps };
  }

  /** Member weights to report for a forecast path (ensembles only). */
  protected pathWeights(_horizonSteps: number): Record<string, number> | undefined {
    return undefined;
  }

  /** p50 for the next `horizonSteps` steps after the latest step (observed or gap). */
  p50Path(horizonSteps: number): number[] {
    const out = new Array<number>(horizonSteps);
    const offset = this.lastUpdateIdx < 0 ? 0 : this.clock.index - this.lastUpdateIdx;
    for (let j = 0; j < horizonSteps; j++) out[j] = this.lastUpdateIdx < 0 ? 0 : this.safePredict(offset + j + 1);
    return out;
  }

  /** p50 `stepsAhead` after the last update, finite and >= 0. */
  safePredict(stepsAhead: number): number {
    const v = this.predict(stepsAhead);
    return Number.isFinite(v) && v > 0 ? v : 0;
  }

  /** Text for `method`. */
  protected describe(_weights?: Readonly<Record<string, number>>): string {
    return this.observed === 0 ? `${this.name} (no history)` : this.name;
  }

  protected abstract update(step: CleanStep): void;
  protected abstract predict(stepsAhead: number): number;
  /** A step with no data (NaN): default keeps state. */
  protected onGap(_idx: number): void {}
  /** The step width was just inferred from the first two observations. */
  protected onStepInferred(): void {}
}

function deepFreeze(band: ForecastBand): ForecastBand {
  Object.freeze(band.p50PerS);
  Object.freeze(band.upperPerS);
  Object.freeze(band.peakUpperPerS);
  if (band.weights) Object.freeze(band.weights);
  return Object.freeze(band);
}

export function checkHorizon(horizonSteps: number): void {
  if (!Number.isInteger(horizonSteps) || horizonSteps < 0 || horizonSteps > MAX_HORIZON_STEPS) {
    throw new ValidationError(
      [{ path: 'horizonSteps', value: horizonSteps, allowed: `an integer in [0, ${MAX_HORIZON_STEPS}]` }],
      'forecast request',
    );
  }
}
