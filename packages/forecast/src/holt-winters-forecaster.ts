import { BandedForecaster, type CleanStep } from './banded-forecaster.js';
import { resolveForecasterOptions, type ForecasterOptions } from './forecaster-options.js';
import { SeasonalProfile } from './seasonal-profile.js';
import { alphaForHalfLife } from './smoothing.js';

/** At most 288 daily buckets (5-min) and 168 weekly ones (1 h). */
const DAILY_BUCKETS = 288;
const WEEKLY_BUCKETS = 168;
/** Seasonal smoothing per visit of a bucket (once per period). */
const GAMMA_PER_PERIOD = 0.25;
/** Innovations beyond this many mean absolute innovations are clipped (spikes are the burst detector's job). */
const CLIP_MADS = 4;
/** Half-life of the mean absolute innovation, steps. */
const MAD_HALF_LIFE_STEPS = 8;
/** Damped-trend sums are tabulated up to this horizon. */
const TREND_TABLE_STEPS = 256;
/** Factors below this are treated as this when deseasonalizing (avoids dividing by ~0). */
const MIN_DESEASON_FACTOR = 0.05;

/**
 * Holt-Winters with a damped additive trend and multiplicative seasonality (daily, then weekly),
 * robust to zeros and gaps. The level is deseasonalized; seasonal factors live on a coarse
 * profile (>= 5-min buckets) interpolated between bucket centres, so any step from 1 s to 1 h
 * gives the same memory and smoothing per unit of time. A season starts once the history covers
 * two of its periods. Smoothing constants are set in time (half-lives), not per step.
 */
export class HoltWintersForecaster extends BandedForecaster {
  readonly name: string = 'holt-winters';
  private level = NaN;
  private trend = 0;
  private daily: SeasonalProfile | undefined;
  private weekly: SeasonalProfile | undefined;
  private alpha = 0;
  private beta = 0;
  private phi = 0;
  private gammaDaily = 0;
  private gammaWeekly = 0;
  private trendSums = new Float64Array(0);
  private pendingFirst: CleanStep | undefined;
  /** EW mean absolute one-step innovation (req/s); NaN until the first one. */
  private mad = NaN;
  private readonly aMad = alphaForHalfLife(MAD_HALF_LIFE_STEPS);

  constructor(options: ForecasterOptions = {}) {
    super(resolveForecasterOptions(options));
    if (this.clock.known) this.configure();
  }

  /** Which seasons are active, e.g. `daily+weekly`, or `none`. */
  get seasons(): string {
    const s = [this.daily?.isActive ? 'daily' : '', this.weekly?.isActive ? 'weekly' : ''].filter(Boolean);
    return s.length ? s.join('+') : 'none';
  }

  protected override describe(): string {
    return this.historySteps === 0 ? `${this.name} (no history)` : `${this.name} (season: ${this.seasons})`;
  }

  protected override onStepInferred(): void {
    this.configure();
    if (this.pendingFirst) this.accumulate(this.pendingFirst);
    this.pendingFirst = undefined;
  }

  protected update(step: CleanStep): void {
    let y = step.meanPerS;
    if (!this.daily) {
      this.pendingFirst = step;
      this.level = y;
      return;
    }
    const t = this.midS(step.startS);
    const f = this.factorAt(t);
    if (!Number.isFinite(this.level)) {
      this.level = y / Math.max(f, MIN_DESEASON_FACTOR);
      this.trend = 0;
    } else {
      const gap = Math.max(1, step.idx - this.lastUpdateIdx);
      const damp = this.trendSum(gap);
      const levelPred = Math.max(0, this.level + this.trend * damp);
      y = this.clip(y, levelPred * f);
      const newLevel = Math.max(0, this.alpha * (y / Math.max(f, MIN_DESEASON_FACTOR)) + (1 - this.alpha) * levelPred);
      this.trend = this.beta * ((newLevel - this.level) / gap) + (1 - this.beta) * this.trend * Math.pow(this.phi, gap);
      if (levelPred > 0) {
        const ratio = y / levelPred;
        const dF = this.daily.factorAt(t);
        const wF = this.weekly?.factorAt(t) ?? 1;
        if (this.daily.isActive) this.daily.update(t, ratio / Math.max(wF, MIN_DESEASON_FACTOR), this.gammaDaily);
        if (this.weekly?.isActive) this.weekly.update(t, ratio / Math.max(dF, MIN_DESEASON_FACTOR), this.gammaWeekly);
      }
      this.level = newLevel;
    }
    this.accumulate(step);
  }

  protected predict(stepsAhead: number): number {
    if (!Number.isFinite(this.level)) return 0;
    const l = Math.max(0, this.level + this.trend * this.trendSum(stepsAhead));
    if (!this.daily) return l;
    const t = this.midS(this.clock.startOf(this.lastUpdateIdx + stepsAhead));
    return l * this.factorAt(t);
  }

  /** Huber-style clip of the innovation so one spike does not drag the level and the season. */
  private clip(y: number, expected: number): number {
    const e = y - expected;
    const a = Math.abs(e);
    const mad = this.mad;
    this.mad = Number.isFinite(mad) ? mad + this.aMad * (a - mad) : a;
    if (!(mad > 0) || a <= CLIP_MADS * mad) return y;
    return Math.max(0, expected + Math.sign(e) * CLIP_MADS * mad);
  }

  private configure(): void {
    const stepS = this.clock.stepS;
    const halfLifeS = this.options.levelHalfLifeS ?? Math.max(4 * stepS, 120);
    const halfLifeSteps = halfLifeS / stepS;
    this.alpha = alphaForHalfLife(halfLifeSteps);
    this.beta = alphaForHalfLife(4 * halfLifeSteps);
    this.phi = Math.pow(0.5, 1 / Math.max(halfLifeSteps, 1));
    this.trendSums = new Float64Array(TREND_TABLE_STEPS);
    for (let k = 1; k < TREND_TABLE_STEPS; k++) this.trendSums[k] = this.trendSums[k - 1]! + Math.pow(this.phi, k);
    const dayS = this.options.dayS;
    this.daily = new SeasonalProfile(dayS, stepS, DAILY_BUCKETS);
    this.weekly = new SeasonalProfile(7 * dayS, stepS, WEEKLY_BUCKETS);
    this.gammaDaily = 1 - Math.pow(1 - GAMMA_PER_PERIOD, Math.min(1, stepS / this.daily.bucketS));
    this.gammaWeekly = 1 - Math.pow(1 - GAMMA_PER_PERIOD, Math.min(1, stepS / this.weekly.bucketS));
  }

  /** Pre-activation bookkeeping; activates a season once two periods are covered. */
  private accumulate(step: CleanStep): void {
    const t = this.midS(step.startS);
    const stepS = this.clock.stepS;
    for (const profile of [this.daily!, this.weekly!]) {
      if (profile.isActive) continue;
      profile.accumulate(t, step.meanPerS);
      if (!profile.ready(stepS)) continue;
      const before = this.factorAt(t);
      profile.activate();
      if (profile === this.weekly) profile.removeSubPeriod(Math.round(this.options.dayS / profile.bucketS));
      // Re-express the level and trend without the new season.
      const ratio = Math.max(this.factorAt(t), MIN_DESEASON_FACTOR) / Math.max(before, MIN_DESEASON_FACTOR);
      this.level /= ratio;
      this.trend /= ratio;
      // Errors made without the season say nothing about the errors with it.
      this.band.resetScores();
    }
  }

  private factorAt(tS: number): number {
    if (!this.daily) return 1;
    return this.daily.factorAt(tS) * (this.weekly ? this.weekly.factorAt(tS) : 1);
  }

  private midS(startS: number): number {
    return startS + this.clock.stepS / 2;
  }

  /** sum_{i=1..k} phi^i: how far a damped trend carries in k steps (table for short k). */
  private trendSum(k: number): number {
    if (k < this.trendSums.length && Number.isInteger(k)) return this.trendSums[k]!;
    const p = this.phi;
    if (p >= 1) return k;
    return (p * (1 - Math.pow(p, k))) / (1 - p);
  }
}
