export * from './errors/index.js';
export { checkReadRange, MAX_STEPS_PER_READ, type ReadRange } from './read-range.js';
export {
  PrometheusHistorySource,
  PROMETHEUS_MAX_POINTS,
  type PrometheusHistorySourceOptions,
  type PrometheusQueries,
} from './prometheus/prometheus-history-source.js';
export { renderPromql, unknownPlaceholders, PROMQL_PLACEHOLDERS } from './prometheus/promql-template.js';
export { parseSampleValue } from './prometheus/parse-query-range.js';
export { RedisDemandCounter, type RedisDemandCounterOptions, type DemandCount } from './redis/redis-demand-counter.js';
export { RedisHistorySource, type RedisHistorySourceOptions } from './redis/redis-history-source.js';
export { DEFAULT_DEMAND_PREFIX, secondChunkKey, minuteChunkKey } from './redis/demand-keys.js';
export { CsvHistorySource, type CsvHistorySourceOptions } from './csv/csv-history-source.js';
export { parseCountCsv, type CountSeries } from '@warmpool/domain';
export {
  parseHistoryConfig,
  HISTORY_KINDS,
  type HistoryKind,
  type HistoryConfig,
  type PrometheusHistoryConfig,
  type RedisHistoryConfig,
  type CsvHistoryConfig,
} from './config/history-config.js';
export { createHistorySource, type CreateHistorySourceOptions } from './create-history-source.js';
