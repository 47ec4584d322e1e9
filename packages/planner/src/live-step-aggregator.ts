import type { StepObservation } from '@warmpool/domain';

/**
 * Turns per-second demand into completed forecast steps as time passes: the step's mean rate and its busiest
 * second. Seconds must come in order; a skipped second counts as zero requests.
 */
export class LiveStepAggregator {
  readonly stepS: number;
  private stepStartS: number;
  private sum = 0;
  private peak = 0;

  constructor(stepS: number, startS = 0) {
    if (!(stepS >= 1) || !Number.isInteger(stepS)) throw new RangeError(`stepS must be an integer >= 1, got ${stepS}`);
    this.stepS = stepS;
    this.stepStartS = startS;
  }

  /** Adds second `tS` (requests in [tS, tS+1)); returns the steps this completes (usually none or one). */
  addSecond(tS: number, count: number, out: StepObservation[] = []): StepObservation[] {
    while (tS >= this.stepStartS + this.stepS) this.complete(out);
    if (tS >= this.stepStartS) {
      this.sum += count;
      if (count > this.peak) this.peak = count;
    }
    if (tS + 1 >= this.stepStartS + this.stepS) this.complete(out);
    return out;
  }

  private complete(out: StepObservation[]): void {
    out.push({ startS: this.stepStartS, meanPerS: this.sum / this.stepS, peakPerS: this.peak });
    this.stepStartS += this.stepS;
    this.sum = 0;
    this.peak = 0;
  }
}
