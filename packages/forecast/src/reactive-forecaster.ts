import { BandedForecaster, type CleanStep } from './banded-forecaster.js';
import { resolveForecasterOptions, type ForecasterOptions } from './forecaster-options.js';
import { alphaForHalfLife } from './smoothing.js';

/** EWMA half-life of the reactive level, steps. */
const LEVEL_HALF_LIFE_STEPS = 1.5;

/**
 * Fallback: the recent level (EWMA of the last few steps), flat ahead. Its band starts as a
 * headroom over that level and becomes the conformal quantile of its own errors.
 */
export class ReactiveForecaster extends BandedForecaster {
  readonly name: string = 'reactive';
  private level = NaN;
  private readonly alpha = alphaForHalfLife(LEVEL_HALF_LIFE_STEPS);

  constructor(options: ForecasterOptions = {}) {
    super(resolveForecasterOptions(options));
  }

  protected update(step: CleanStep): void {
    this.level = Number.isFinite(this.level) ? this.level + this.alpha * (step.meanPerS - this.level) : step.meanPerS;
  }

  protected predict(): number {
    return this.level;
  }
}
