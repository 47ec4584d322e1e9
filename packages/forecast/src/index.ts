export {
  type ForecasterOptions,
  type ResolvedForecasterOptions,
  type ResidualScale,
  FORECASTER_OPTION_KEYS,
  RESIDUAL_SCALES,
  resolveForecasterOptions,
} from './forecaster-options.js';
export { BandedForecaster, type CleanStep, MAX_HORIZON_STEPS } from './banded-forecaster.js';
export { ConformalBand, type ConformalBandOptions, type BandPaths } from './conformal-band.js';
export { HoltWintersForecaster } from './holt-winters-forecaster.js';
export { BurstDetector } from './burst-detector.js';
export { ReactiveForecaster } from './reactive-forecaster.js';
export { SeasonalNaiveForecaster } from './seasonal-naive-forecaster.js';
export { EnsembleForecaster } from './ensemble-forecaster.js';
export { SeasonalProfile } from './seasonal-profile.js';
export { RingBuffer } from './ring-buffer.js';
export { StepClock, DEFAULT_STEP_S } from './step-clock.js';
export { TRACKED_HORIZONS } from './pending-forecasts.js';
export { createForecaster, isForecasterName, FORECASTER_NAMES, type ForecasterName } from './forecaster-registry.js';
export { aggregateSteps, MIN_STEP_S } from './step-aggregator.js';
export {
  backtest,
  pinballLoss,
  type BacktestOptions,
  type BacktestMetrics,
  type BacktestResult,
  type ForecasterFactory,
} from './backtest.js';
export { bandMaxOver, horizonStepsUntil, type BandField } from './band-window.js';
