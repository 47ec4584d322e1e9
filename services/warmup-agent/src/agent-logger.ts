import {
  createLogger,
  eventLogger,
  LogLevelError,
  LOG_LEVELS,
  resolveLogLevel,
  type LogLevel,
} from '@warmpool/telemetry';
import type { CliArgs } from './cli-args.js';
import type { Io } from './io.js';

/** `--log-level`, else WARMPOOL_LOG_LEVEL, else info; a bad value is an argument issue naming the flag or variable. */
export function readLogLevel(args: CliArgs, env: Readonly<Record<string, string | undefined>>): LogLevel {
  const flag = args.string('log-level');
  try {
    return resolveLogLevel(flag, env);
  } catch (e) {
    if (!(e instanceof LogLevelError)) throw e;
    args.issues.push({ path: e.where, value: e.value, allowed: `one of ${LOG_LEVELS.join(', ')}` });
    return 'info';
  }
}

/**
 * The agent's event log (`log({ event: 'serving', url })`) on the one logger: JSON lines on `io.out` (which the local
 * provider reads for `listening`, `serving`, …), the readable form when stdout is a terminal.
 */
export function agentEventLog(
  io: Io,
  component: 'agent' | 'load-balancer',
  level: LogLevel,
  model?: string,
): (event: Record<string, unknown>) => void {
  const logger = createLogger({
    component,
    level,
    destination: {
      write: (line: string) => io.out(line.endsWith('\n') ? line.slice(0, -1) : line),
      isTTY: io.outIsTTY === true,
    },
  });
  const log = eventLogger(logger);
  return model === undefined ? log : (event) => log({ model, ...event });
}
