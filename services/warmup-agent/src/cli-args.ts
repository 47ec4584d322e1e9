import { ValidationError } from '@warmpool/domain';
import { parseCommandLine, type CommandSpec } from '@warmpool/telemetry';

/**
 * A command's words parsed against its option table (agent-commands.ts: the table `--help` prints) by the shared
 * parser; the readers below check each value in the domain's words and collect every problem for done().
 */
export class CliArgs {
  private readonly values: Readonly<Record<string, string | boolean | readonly string[] | undefined>>;
  readonly issues: Array<{ path: string; value: unknown; allowed: string }> = [];

  constructor(
    argv: readonly string[],
    readonly spec: CommandSpec,
  ) {
    const parsed = parseCommandLine(spec, argv, { collect: true });
    this.values = parsed.values;
    for (const p of parsed.problems) this.issues.push({ path: p.where, value: p.found, allowed: p.allowed });
  }

  string(key: string, def?: string): string | undefined {
    const v = this.values[key];
    if (v === undefined) return def;
    if (typeof v !== 'string') {
      this.issues.push({ path: `--${key}`, value: v, allowed: 'a value' });
      return def;
    }
    return v;
  }

  required(key: string, what: string): string {
    const v = this.string(key);
    // A required option of the table was already reported missing by the parser.
    if (v === undefined && !this.issues.some((i) => i.path === `--${key}`))
      this.issues.push({ path: `--${key}`, value: undefined, allowed: what });
    return v ?? '';
  }

  int(key: string, def: number, min: number, max: number): number {
    const s = this.string(key);
    if (s === undefined) return def;
    const n = Number(s);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.issues.push({ path: `--${key}`, value: s, allowed: `an integer in [${min}, ${max}]` });
      return def;
    }
    return n;
  }

  /** A finite number in (minExclusive, max]. */
  number(key: string, def: number, minExclusive: number, max: number): number {
    const s = this.string(key);
    if (s === undefined) return def;
    const n = Number(s);
    if (s.trim() === '' || !Number.isFinite(n) || n <= minExclusive || n > max) {
      this.issues.push({ path: `--${key}`, value: s, allowed: `a number above ${minExclusive} and at most ${max}` });
      return def;
    }
    return n;
  }

  /** One of `allowed`. */
  choice<T extends string>(key: string, allowed: readonly T[], def: T): T {
    const s = this.string(key);
    if (s === undefined) return def;
    if (!(allowed as readonly string[]).includes(s)) {
      this.issues.push({ path: `--${key}`, value: s, allowed: `one of ${allowed.join(', ')}` });
      return def;
    }
    return s as T;
  }

  flag(key: string): boolean {
    return this.values[key] === true;
  }

  list<T extends string>(key: string, allowed: readonly T[], def: readonly T[]): T[] {
    const s = this.string(key);
    if (s === undefined) return [...def];
    const items = s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
    const bad = items.filter((x) => !(allowed as readonly string[]).includes(x));
    if (items.length === 0 || bad.length > 0) {
      this.issues.push({ path: `--${key}`, value: s, allowed: `a comma-separated list of ${allowed.join(', ')}` });
      return [...def];
    }
    return items as T[];
  }

  /** Throws one ValidationError listing every problem, unknown options included. */
  done(command: string): void {
    if (this.issues.length > 0) throw new ValidationError(this.issues, `${command} arguments`);
  }
}
