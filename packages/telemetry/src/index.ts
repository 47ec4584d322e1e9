export { DEFAULT_LATENCY_BUCKETS_S } from './latency-buckets.js';
export { createMetricsRegistry } from './metrics-registry.js';
export { BodyTooLargeError, readBody, sendJson, sendText } from './http-io.js';
export { listenHttp, closeHttp, KEEP_ALIVE_TIMEOUT_MS, type ListeningAddress } from './http-server.js';
export { CommandLineError } from './command-line-error.js';
export {
  formatCommandUsage,
  formatProgramUsage,
  packageVersion,
  parseCommandLine,
  type CommandOption,
  type CommandLineProblem,
  type CommandSpec,
  type OptionValues,
  type ParsedCommandLine,
} from './command-line.js';
export {
  createLogger,
  eventLogger,
  resolveLogLevel,
  isLogLevel,
  LogLevelError,
  LOG_LEVELS,
  LOG_LEVEL_ENV,
  DEFAULT_LOG_LEVEL,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './logger.js';
export { formatLogLine, TextLogDestination, type LineWriter } from './text-log-destination.js';
export { isStaleKeepAliveReset } from './stale-keep-alive.js';
