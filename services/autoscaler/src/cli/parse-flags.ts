import {
  CommandLineError,
  LogLevelError,
  parseCommandLine,
  resolveLogLevel,
  type CommandSpec,
  type LogLevel,
  type OptionValues,
} from '@warmpool/telemetry';
import { UsageError } from './usage-error.js';

export type FlagValues = OptionValues;

/**
 * The command's words parsed against its option table (the same table `--help` prints): unknown options, missing
 * values and missing required options are usage errors (exit 2) in the domain's words.
 */
export function parseFlags(spec: CommandSpec, argv: readonly string[]): FlagValues {
  return parseCommand(spec, argv).values;
}

/** parseFlags with the positionals. */
export function parseCommand(
  spec: CommandSpec,
  argv: readonly string[],
): { values: FlagValues; positionals: readonly string[] } {
  try {
    return parseCommandLine(spec, argv);
  } catch (err) {
    if (err instanceof CommandLineError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}

/** Reads a numeric flag: `--name` must be a number in [min, max] (integer when asked). */
export function numberFlag(
  values: FlagValues,
  name: string,
  def: number,
  range: { min: number; max: number; integer?: boolean },
): number {
  const raw = values[name];
  if (raw === undefined) return def;
  const v = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  const ok = Number.isFinite(v) && v >= range.min && v <= range.max && (!range.integer || Number.isInteger(v));
  if (!ok) {
    const kind = range.integer ? 'an integer' : 'a number';
    throw new UsageError(`--${name}: got "${String(raw)}", allowed: ${kind} in [${range.min}, ${range.max}]`);
  }
  return v;
}

export function choiceFlag<T extends string>(values: FlagValues, name: string, choices: readonly T[], def: T): T {
  const raw = values[name];
  if (raw === undefined) return def;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name}: got "${String(raw)}", allowed: ${choices.join(', ')}`);
  }
  return raw as T;
}

/** A string option the table marks required (parseFlags already refused its absence). */
export function requiredString(values: FlagValues, name: string): string {
  const raw = values[name];
  if (typeof raw !== 'string' || raw === '') throw new UsageError(`--${name} is required`);
  return raw;
}

/** `--log-level`, else WARMPOOL_LOG_LEVEL in `env`, else info; a bad value is a usage error naming the flag or variable. */
export function logLevelFlag(raw: FlagValues[string], env: Readonly<Record<string, string | undefined>>): LogLevel {
  try {
    return resolveLogLevel(typeof raw === 'string' ? raw : undefined, env);
  } catch (err) {
    if (err instanceof LogLevelError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
}
