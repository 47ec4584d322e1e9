import { BandedForecaster, type CleanStep } from './banded-forecaster.js';
import { resolveForecasterOptions, type ForecasterOptions } from './forecaster-options.js';

/**
 * Baseline: the value one day ago at the same time of day (when the history covers it and that
 * step had data), else the last value. Keeps one day of steps (`dayS` / stepS numbers).
 */
export class SeasonalNaiveForecaster extends BandedForecaster {
  readonly name: string = 'seasonal-naive';
  private values: Float64Array | undefined;
  private indices: Float64Array | undefined;
  private period = 0;
  private first: CleanStep | undefined;
  private last = NaN;

  constructor(options: ForecasterOptions = {}) {
    super(resolveForecasterOptions(options));
  }

  protected update(step: CleanStep): void {
    this.last = step.meanPerS;
    if (!this.clock.known) {
      this.first = step;
      return;
    }
    if (!this.values) this.allocate();
    this.store(step.idx, step.meanPerS);
  }

  protected override onStepInferred(): void {
    this.allocate();
    if (this.first) this.store(this.first.idx, this.first.meanPerS);
    this.first = undefined;
  }

  protected predict(stepsAhead: number): number {
    if (this.values && this.indices && this.period > 1) {
      const target = this.lastUpdateIdx + stepsAhead;
      const back = target - Math.ceil(stepsAhead / this.period) * this.period;
      if (back >= 0) {
        const slot = back % this.period;
        if (this.indices[slot] === back) return this.values[slot]!;
      }
    }
    return this.last;
  }

  private allocate(): void {
    this.period = Math.max(1, Math.round(this.options.dayS / this.clock.stepS));
    this.values = new Float64Array(this.period);
    this.indices = new Float64Array(this.period).fill(-1);
  }

  private store(idx: number, value: number): void {
    const slot = idx % this.period;
    this.values![slot] = value;
    this.indices![slot] = idx;
  }
}
