export * from './errors/index.js';
export { FieldReader } from './validate/field-reader.js';
export {
  type LeadTimeSpec,
  type ModelSpec,
  type ModelMode,
  MODEL_NAME_PATTERN,
  MODEL_SPEC_DEFAULTS,
  MODEL_SPEC_KEYS,
  UPPER_QUANTILE_RANGE,
  MISS_COST_RANGE,
  quantileForMissCost,
  defaultReleaseQuantile,
  leadTimeTotalS,
  readModelSpec,
  parseModelSpec,
} from './model-spec.js';
export type { StepObservation, ForecastBand, Forecaster } from './forecast.js';
export { ReasonCode, type ScaleAction, type WarmTier, type Decision } from './decision.js';
export * from './ports/index.js';
export { parseCountCsv, type CountSeries, type ParseCountCsvOptions } from './trace/parse-count-csv.js';
export { SeededRandom } from './random/seeded-random.js';
export { percentile } from './stats/percentile.js';
export { median } from './stats/median.js';
export { Backoff, BACKOFF_DEFAULTS, type BackoffOptions, type RetryVerdict, type RetryHooks } from './retry/backoff.js';
