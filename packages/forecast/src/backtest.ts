import type { ForecastBand, Forecaster, StepObservation } from '@warmpool/domain';
import { ValidationError } from '@warmpool/domain';
import { checkHorizon } from './banded-forecaster.js';
import type { ForecasterOptions } from './forecaster-options.js';
import { SeasonalNaiveForecaster } from './seasonal-naive-forecaster.js';

/** Builds a fresh forecaster; gets the backtest's quantile and the series' step (`stepS`) as options. */
export type ForecasterFactory = (options: ForecasterOptions) => Forecaster;

export interface BacktestOptions {
  /** Steps ahead scored from every forecast (1..horizonSteps, pooled). */
  readonly horizonSteps: number;
  /** Upper quantile of the band. Default 0.95. */
  readonly quantile?: number;
  /** Forecasts made before this many steps are not scored. Default 0 (the cold start counts). */
  readonly warmupSteps?: number;
}

/** Accuracy of one forecaster over a series. Rates are fractions in [0, 1]. */
export interface BacktestMetrics {
  readonly name: string;
  /** True for the seasonal-naive baseline. */
  readonly baseline: boolean;
  /** (forecast, step ahead) pairs scored. */
  readonly points: number;
  /** Mean |p50 - actual| / actual over actual > 0 (NaN when none). */
  readonly mape: number;
  /** Mean pinball loss of `upperPerS` at `quantile` against the step mean (req/s). */
  readonly pinballLoss: number;
  /** `pinballLoss` / mean actual: comparable across traces. */
  readonly relativePinballLoss: number;
  /** Fraction of points where the actual mean exceeded `upperPerS`. */
  readonly underForecastRate: number;
  /** Fraction of points where the actual mean was within `upperPerS` (1 - underForecastRate). */
  readonly coverage: number;
  /** Same three for the busiest second against `peakUpperPerS`. */
  readonly peakPinballLoss: number;
  readonly peakUnderForecastRate: number;
  readonly peakCoverage: number;
  /** Sum of peakUpperPerS / sum of actual peaks: what the band costs (1 = perfect foresight). */
  readonly peakUpperToActual: number;
  /** The same few metrics for the farthest step only (`horizonSteps` ahead). */
  readonly lastStep: {
    readonly points: number;
    readonly mape: number;
    readonly coverage: number;
    readonly peakCoverage: number;
  };
}

export interface BacktestResult {
  readonly steps: number;
  readonly horizonSteps: number;
  readonly quantile: number;
  /** The forecasters asked for, in order. */
  readonly forecasters: readonly BacktestMetrics[];
  /** Seasonal-naive on the same series. */
  readonly baseline: BacktestMetrics;
}

/**
 * Replays `series` through each forecaster: before each step it asks for `horizonSteps` ahead and
 * scores the forecast against the steps that follow; then feeds the step. Gaps (NaN) are fed and
 * not scored.
 */
export function backtest(
  series: readonly StepObservation[],
  makeForecaster: ForecasterFactory | Readonly<Record<string, ForecasterFactory>>,
  options: BacktestOptions,
): BacktestResult {
  checkHorizon(options.horizonSteps);
  const quantile = options.quantile ?? 0.95;
  if (!(quantile > 0.5 && quantile <= 0.999)) {
    throw new ValidationError(
      [{ path: 'quantile', value: quantile, allowed: 'a number in (0.5, 0.999]' }],
      'backtest options',
    );
  }
  const warmup = options.warmupSteps ?? 0;
  const factories: Record<string, ForecasterFactory> =
    typeof makeForecaster === 'function' ? { '': makeForecaster } : { ...makeForecaster };
  const stepS = inferStepS(series);
  const base: ForecasterOptions = stepS === undefined ? { quantile } : { quantile, stepS };
  const forecasters = Object.entries(factories).map(([label, make]) => {
    const f = make(base);
    return score(label || f.name, false, f, series, options.horizonSteps, quantile, warmup);
  });
  const baseline = score(
    'seasonal-naive',
    true,
    new SeasonalNaiveForecaster(base),
    series,
    options.horizonSteps,
    quantile,
    warmup,
  );
  return { steps: series.length, horizonSteps: options.horizonSteps, quantile, forecasters, baseline };
}

/** Step width of a series: the smallest positive gap between consecutive starts (first 100). */
function inferStepS(series: readonly StepObservation[]): number | undefined {
  let best = Infinity;
  for (let i = 1; i < Math.min(series.length, 100); i++) {
    const d = series[i]!.startS - series[i - 1]!.startS;
    if (d > 0 && d < best) best = d;
  }
  return Number.isFinite(best) && best <= 86_400 ? best : undefined;
}

function score(
  name: string,
  isBaseline: boolean,
  forecaster: Forecaster,
  series: readonly StepObservation[],
  horizonSteps: number,
  q: number,
  warmup: number,
): BacktestMetrics {
  const acc = new Accumulator(q);
  for (let t = 0; t < series.length; t++) {
    if (t >= warmup && horizonSteps > 0) acc.add(forecaster.forecast(horizonSteps), series, t);
    forecaster.observe(series[t]!);
  }
  return acc.result(name, isBaseline);
}

class Accumulator {
  private readonly q: number;
  private points = 0;
  private apeSum = 0;
  private apeN = 0;
  private pinball = 0;
  private peakPinball = 0;
  private under = 0;
  private peakUnder = 0;
  private actualSum = 0;
  private peakSum = 0;
  private peakUpperSum = 0;
  private lastPoints = 0;
  private lastApeSum = 0;
  private lastApeN = 0;
  private lastUnder = 0;
  private lastPeakUnder = 0;

  constructor(q: number) {
    this.q = q;
  }

  add(band: ForecastBand, series: readonly StepObservation[], t: number): void {
    const n = Math.min(band.p50PerS.length, series.length - t);
    for (let j = 0; j < n; j++) {
      const obs = series[t + j]!;
      const y = obs.meanPerS;
      if (!Number.isFinite(y) || y < 0) continue;
      const peak = Number.isFinite(obs.peakPerS) && obs.peakPerS > y ? obs.peakPerS : y;
      const p50 = band.p50PerS[j]!;
      const up = band.upperPerS[j]!;
      const pu = band.peakUpperPerS[j]!;
      this.points++;
      if (y > 0) {
        this.apeSum += Math.abs(p50 - y) / y;
        this.apeN++;
      }
      this.pinball += pinballLoss(y, up, this.q);
      this.peakPinball += pinballLoss(peak, pu, this.q);
      if (y > up) this.under++;
      if (peak > pu) this.peakUnder++;
      this.actualSum += y;
      this.peakSum += peak;
      this.peakUpperSum += pu;
      if (j === band.p50PerS.length - 1) {
        this.lastPoints++;
        if (y > 0) {
          this.lastApeSum += Math.abs(p50 - y) / y;
          this.lastApeN++;
        }
        if (y > up) this.lastUnder++;
        if (peak > pu) this.lastPeakUnder++;
      }
    }
  }

  result(name: string, baseline: boolean): BacktestMetrics {
    const n = this.points;
    const div = (a: number, b: number): number => (b > 0 ? a / b : NaN);
    const meanActual = div(this.actualSum, n);
    return {
      name,
      baseline,
      points: n,
      mape: div(this.apeSum, this.apeN),
      pinballLoss: div(this.pinball, n),
      relativePinballLoss: div(div(this.pinball, n), meanActual),
      underForecastRate: div(this.under, n),
      coverage: div(n - this.under, n),
      peakPinballLoss: div(this.peakPinball, n),
      peakUnderForecastRate: div(this.peakUnder, n),
      peakCoverage: div(n - this.peakUnder, n),
      peakUpperToActual: div(this.peakUpperSum, this.peakSum),
      lastStep: {
        points: this.lastPoints,
        mape: div(this.lastApeSum, this.lastApeN),
        coverage: div(this.lastPoints - this.lastUnder, this.lastPoints),
        peakCoverage: div(this.lastPoints - this.lastPeakUnder, this.lastPoints),
      },
    };
  }
}

/** Pinball (quantile) loss of forecast `f` for actual `y` at quantile `q`. */
export function pinballLoss(y: number, f: number, q: number): number {
  return y >= f ? q * (y - f) : (1 - q) * (f - y);
}
