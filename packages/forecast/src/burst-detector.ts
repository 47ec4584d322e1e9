import { BandedForecaster, type CleanStep } from './banded-forecaster.js';
import { resolveForecasterOptions, type ForecasterOptions } from './forecaster-options.js';
import { RingBuffer } from './ring-buffer.js';
import { alphaForHalfLife } from './smoothing.js';

/** Steps in the slope window. */
const SLOPE_WINDOW = 5;
/** Steps a rising edge is extrapolated before the forecast goes flat. */
const EXTRAPOLATE_STEPS = 4;
/** A rise must exceed this many noise units (fast EWMA over slow EWMA) to count as a burst. */
const RISE_THRESHOLD = 2;
/** The extrapolation never goes beyond this multiple of the fast level. */
const MAX_GROWTH = 3;

/**
 * Short-horizon rate-of-change model. A fast EWMA (half-life 1 step) is compared with a slow one
 * (8 steps); when the fast one is above the slow one by more than the usual noise and the
 * least-squares slope of the last steps is positive, the slope is extrapolated a few steps.
 * Otherwise it follows the recent (fast) level.
 */
export class BurstDetector extends BandedForecaster {
  readonly name: string = 'burst';
  private fast = NaN;
  private slow = NaN;
  private noise = 0;
  private slopePerStep = 0;
  /** Value of the slope line at the latest step. */
  private fitEnd = NaN;
  private rising = false;
  private readonly recent = new RingBuffer(SLOPE_WINDOW);
  private readonly recentIdx = new RingBuffer(SLOPE_WINDOW);
  private readonly aFast = alphaForHalfLife(1);
  private readonly aSlow = alphaForHalfLife(8);
  private readonly aNoise = alphaForHalfLife(16);

  constructor(options: ForecasterOptions = {}) {
    super(resolveForecasterOptions(options));
  }

  /** True while a rising edge is being extrapolated. */
  get inBurst(): boolean {
    return this.rising;
  }

  protected update(step: CleanStep): void {
    const y = step.meanPerS;
    if (!Number.isFinite(this.fast)) {
      this.fast = y;
      this.slow = y;
    } else {
      // Noise = EW mean |step-to-step change|, each change capped at 3x the current noise so a
      // ramp does not teach the detector that ramps are noise.
      const d = Math.abs(y - this.recent.last());
      this.noise += this.aNoise * ((this.noise > 0 ? Math.min(d, 3 * this.noise) : d) - this.noise);
      this.fast += this.aFast * (y - this.fast);
      this.slow += this.aSlow * (y - this.slow);
    }
    this.recent.push(y);
    this.recentIdx.push(step.idx);
    this.slopePerStep = this.slope();
    const noiseFloor = Math.sqrt((this.slow + 1 / this.clock.stepS) / this.clock.stepS);
    const unit = Math.max(this.noise, noiseFloor);
    this.rising = this.recent.size >= 3 && this.slopePerStep > 0 && this.fast - this.slow > RISE_THRESHOLD * unit;
  }

  protected predict(stepsAhead: number): number {
    if (!this.rising) return this.fast;
    const base = Math.max(this.fast, this.fitEnd);
    const v = base + this.slopePerStep * Math.min(stepsAhead, EXTRAPOLATE_STEPS);
    return Math.min(v, base * MAX_GROWTH);
  }

  private slope(): number {
    const n = this.recent.size;
    if (n < 2) return 0;
    let sx = 0;
    let sy = 0;
    for (let i = 0; i < n; i++) {
      sx += this.recentIdx.get(i);
      sy += this.recent.get(i);
    }
    const mx = sx / n;
    const my = sy / n;
    let sxy = 0;
    let sxx = 0;
    for (let i = 0; i < n; i++) {
      const dx = this.recentIdx.get(i) - mx;
      sxy += dx * (this.recent.get(i) - my);
      sxx += dx * dx;
    }
    const slope = sxx > 0 ? sxy / sxx : 0;
    this.fitEnd = my + slope * (this.recentIdx.last() - mx);
    return slope;
  }
}
