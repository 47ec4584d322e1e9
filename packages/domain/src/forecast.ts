/**
 * Demand as the forecasters see it: one value per fixed step. Rates are requests per second
 * averaged over the step, so a 1-s series and a 1-h series are in the same unit.
 */
export interface StepObservation {
  /** Start of the step, seconds on the caller's clock. */
  readonly startS: number;
  /** Mean arrival rate over the step (requests/s). NaN marks a gap (no data). */
  readonly meanPerS: number;
  /**
   * Highest one-second rate inside the step. Equal to `meanPerS` when the source has no
   * sub-step resolution (e.g. a 10-min Prometheus range).
   */
  readonly peakPerS: number;
}

/** Forecast of demand for the next steps, with an uncertainty band. */
export interface ForecastBand {
  /** Start of the first forecast step (= end of the last observed step). */
  readonly startS: number;
  readonly stepS: number;
  /** Median of the mean rate per step. */
  readonly p50PerS: readonly number[];
  /** Upper quantile (`quantile`) of the mean rate per step. */
  readonly upperPerS: readonly number[];
  /** Upper quantile of the one-second peak inside each step (>= upperPerS). What capacity must cover. */
  readonly peakUpperPerS: readonly number[];
  readonly quantile: number;
  /** Which forecaster produced it (the ensemble names its weighted members). */
  readonly method: string;
  /** Ensemble member weights, when an ensemble produced it. */
  readonly weights?: Readonly<Record<string, number>>;
  /** Steps of history the forecaster has seen; small values mean a weak forecast. */
  readonly historySteps: number;
}

/**
 * A forecaster is an online model: it is fed completed steps in time order and forecasts ahead.
 * Deterministic: the same sequence of observations gives the same forecasts.
 */
export interface Forecaster {
  readonly name: string;
  observe(step: StepObservation): void;
  forecast(horizonSteps: number): ForecastBand;
  /**
   * Moves the band's upper quantile from now on, keeping what was learned (optional: a forecaster without it keeps
   * the quantile it was built with, and the planner does not tune it).
   */
  setQuantile?(quantile: number): void;
}
