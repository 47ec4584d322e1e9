import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usage-error.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict flag parsing: unknown flags and missing values are usage errors naming the command. */
export function parseFlags(command: string, argv: readonly string[], options: Options): Record<string, string | boolean | undefined> {
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return values as Record<string, string | boolean | undefined>;
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new UsageError(`${msg.replace(/\. To specify a positional argument.*$/s, '')}`, { cause: err });
  }
}

/** Reads a numeric flag: `--name` must be a number in [min, max] (integer when asked). */
export function numberFlag(
  values: Record<string, string | boolean | undefined>,
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

export function choiceFlag<T extends string>(values: Record<string, string | boolean | undefined>, name: string, choices: readonly T[], def: T): T {
  const raw = values[name];
  if (raw === undefined) return def;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name}: got "${String(raw)}", allowed: ${choices.join(', ')}`);
  }
  return raw as T;
}

export function requiredString(values: Record<string, string | boolean | undefined>, command: string, name: string): string {
  const raw = values[name];
  if (typeof raw !== 'string' || raw === '') throw new UsageError(`--${name} is required (see warmpool ${command} --help)`);
  return raw;
}
