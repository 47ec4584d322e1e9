import { ValidationError } from '@warmpool/domain';

/** Parsed `--key value` / `--flag` arguments after the command word. */
export class CliArgs {
  private readonly values = new Map<string, string | true>();
  private readonly used = new Set<string>();
  readonly issues: Array<{ path: string; value: unknown; allowed: string }> = [];

  constructor(argv: readonly string[], private readonly flags: readonly string[]) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (!a.startsWith('--')) {
        this.issues.push({ path: a, value: a, allowed: 'options of the form --key value' });
        continue;
      }
      const eq = a.indexOf('=');
      const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) this.values.set(key, a.slice(eq + 1));
      else if (flags.includes(key)) this.values.set(key, true);
      else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) this.values.set(key, argv[++i]!);
      else this.issues.push({ path: `--${key}`, value: undefined, allowed: 'a value after the option' });
    }
  }

  string(key: string, def?: string): string | undefined {
    this.used.add(key);
    const v = this.values.get(key);
    if (v === undefined) return def;
    if (v === true) {
      this.issues.push({ path: `--${key}`, value: true, allowed: 'a value' });
      return def;
    }
    return v;
  }

  required(key: string, what: string): string {
    const v = this.string(key);
    if (v === undefined) this.issues.push({ path: `--${key}`, value: undefined, allowed: what });
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
    this.used.add(key);
    return this.values.get(key) === true;
  }

  list<T extends string>(key: string, allowed: readonly T[], def: readonly T[]): T[] {
    const s = this.string(key);
    if (s === undefined) return [...def];
    const items = s.split(',').map((x) => x.trim()).filter(Boolean);
    const bad = items.filter((x) => !(allowed as readonly string[]).includes(x));
    if (items.length === 0 || bad.length > 0) {
      this.issues.push({ path: `--${key}`, value: s, allowed: `a comma-separated list of ${allowed.join(', ')}` });
      return [...def];
    }
    return items as T[];
  }

  /** Throws one ValidationError listing every problem, unknown options included. */
  done(command: string): void {
    for (const key of this.values.keys()) {
      if (!this.used.has(key)) this.issues.push({ path: `--${key}`, value: this.values.get(key), allowed: `an option of "${command}" (see --help)` });
    }
    if (this.issues.length > 0) throw new ValidationError(this.issues, `warmpool-agent ${command} arguments`);
  }
}
