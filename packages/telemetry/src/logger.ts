import { pino, type Logger as PinoLogger } from 'pino';
import { TextLogDestination, type LineWriter } from './text-log-destination.js';

/** pino's levels, lowest first; `silent` logs nothing. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
/** The environment variable every binary reads its log level from (a `--log-level` flag wins over it). */
export const LOG_LEVEL_ENV = 'WARMPOOL_LOG_LEVEL';
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** The one structured logger of the daemon, the agent and the load balancer (pino). */
export type Logger = PinoLogger;

/** A log level that is not one of LOG_LEVELS, naming where it came from (`--log-level` or the variable). */
export class LogLevelError extends Error {
  readonly code = 'E_LOG_LEVEL';

  constructor(
    readonly where: string,
    readonly value: string,
  ) {
    super(`${where}: got ${JSON.stringify(value)}, expected one of ${LOG_LEVELS.join(', ')}`);
    this.name = 'LogLevelError';
  }
}

export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The level a binary logs at: the `--log-level` flag, else WARMPOOL_LOG_LEVEL, else info. An empty variable counts as
 * unset; any other value outside LOG_LEVELS throws LogLevelError naming the flag or the variable.
 */
export function resolveLogLevel(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LogLevel {
  if (flag !== undefined) {
    const v = flag.trim().toLowerCase();
    if (!isLogLevel(v)) throw new LogLevelError('--log-level', flag);
    return v;
  }
  const raw = env[LOG_LEVEL_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_LOG_LEVEL;
  const v = raw.trim().toLowerCase();
  if (!isLogLevel(v)) throw new LogLevelError(LOG_LEVEL_ENV, raw);
  return v;
}

export interface LoggerOptions {
  /** Which binary or part logs: `daemon`, `agent`, `load-balancer`, … (the `component` field of every line). */
  readonly component: string;
  /** Default info. */
  readonly level?: LogLevel;
  /** Where lines go: a stream (default process.stdout) or anything with `write(line)`; `isTTY` picks the form. */
  readonly destination?: LineWriter & { readonly isTTY?: boolean };
  /** `auto` (default): JSON lines unless the destination is a terminal, where the readable one-line form is written. */
  readonly format?: 'auto' | 'json' | 'text';
  /** More fields on every line (e.g. `{ model }` for a replica's agent). */
  readonly bindings?: Readonly<Record<string, unknown>>;
}

/**
 * The one logger. Every line has `level` (its name), `time` (ISO 8601), `component` and `msg`, then the fields given
 * (`model`, `event`, `err`, …): JSON lines off a terminal, `time  model  LEVEL component: msg key=value` on one.
 */
export function createLogger(o: LoggerOptions): Logger {
  const destination = o.destination ?? process.stdout;
  const text = o.format === 'text' || (o.format !== 'json' && destination.isTTY === true);
  return pino(
    {
      level: o.level ?? DEFAULT_LOG_LEVEL,
      base: { component: o.component, ...o.bindings },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: { level: (label) => ({ level: label }) },
    },
    text ? new TextLogDestination(destination) : destination,
  );
}

/** How an event callback's record is logged when it names no level: `warn` when it carries an `error`, else `info`. */
function levelOf(event: Readonly<Record<string, unknown>>): Exclude<LogLevel, 'silent'> {
  const named = event['level'];
  if (isLogLevel(named) && named !== 'silent') return named;
  return event['error'] !== undefined ? 'warn' : 'info';
}

/**
 * Adapts the logger to the event callbacks of the adapters (`log({ event: 'replica-registered', model, … })`): each
 * event is one line with its fields kept, `msg` from its `message` (else `event: reason`, else `event`).
 */
export function eventLogger(logger: Logger): (event: Readonly<Record<string, unknown>>) => void {
  return (event) => {
    const { level: _level, message, ...fields } = event;
    const name = typeof fields['event'] === 'string' ? fields['event'] : 'event';
    const reason = fields['reason'] ?? fields['detail'];
    const msg = typeof message === 'string' ? message : typeof reason === 'string' ? `${name}: ${reason}` : name;
    logger[levelOf(event)](fields, msg);
  };
}
