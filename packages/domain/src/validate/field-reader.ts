import type { ValidationIssue } from '../errors/validation-error.js';

/**
 * Reads fields of an untyped object, collecting every problem instead of stopping at the first.
 * Each reader returns the default (or a placeholder) on a problem so validation can go on.
 */
export class FieldReader {
  readonly issues: ValidationIssue[];
  private readonly obj: Record<string, unknown>;
  private readonly prefix: string;

  constructor(input: unknown, prefix = '', issues: ValidationIssue[] = []) {
    this.issues = issues;
    this.prefix = prefix;
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      this.issues.push({ path: prefix || '(root)', value: input, allowed: 'an object (mapping)' });
      this.obj = {};
    } else {
      this.obj = input as Record<string, unknown>;
    }
  }

  path(key: string): string {
    return this.prefix ? `${this.prefix}.${key}` : key;
  }

  has(key: string): boolean {
    return this.obj[key] !== undefined;
  }

  raw(key: string): unknown {
    return this.obj[key];
  }

  /** Reports keys not in `known` (typos should not pass silently). */
  rejectUnknown(known: readonly string[]): void {
    for (const key of Object.keys(this.obj)) {
      if (!known.includes(key)) {
        this.issues.push({
          path: this.path(key),
          value: this.obj[key],
          allowed: `one of the keys ${known.join(', ')}`,
        });
      }
    }
  }

  string(key: string, opts: { default?: string; pattern?: RegExp; patternText?: string } = {}): string {
    const v = this.obj[key];
    if (v === undefined && opts.default !== undefined) return opts.default;
    const allowed = opts.patternText ?? 'a non-empty string';
    if (typeof v !== 'string' || v.length === 0 || (opts.pattern && !opts.pattern.test(v))) {
      this.issues.push({ path: this.path(key), value: v, allowed });
      return opts.default ?? '';
    }
    return v;
  }

  number(
    key: string,
    opts: { default?: number; min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {},
  ): number {
    const v = this.obj[key];
    if (v === undefined && opts.default !== undefined) return opts.default;
    const min = opts.min ?? -Infinity;
    const max = opts.max ?? Infinity;
    const kind = opts.integer ? 'an integer' : 'a number';
    const lo = opts.exclusiveMin ? `(${min}` : `[${min}`;
    const allowed = `${kind} in ${lo}, ${max}]`;
    const ok =
      typeof v === 'number' &&
      Number.isFinite(v) &&
      (opts.exclusiveMin ? v > min : v >= min) &&
      v <= max &&
      (!opts.integer || Number.isInteger(v));
    if (!ok) {
      this.issues.push({ path: this.path(key), value: v, allowed });
      return opts.default ?? (Number.isFinite(min) ? min : 0);
    }
    return v as number;
  }

  boolean(key: string, def: boolean): boolean {
    const v = this.obj[key];
    if (v === undefined) return def;
    if (typeof v !== 'boolean') {
      this.issues.push({ path: this.path(key), value: v, allowed: 'true or false' });
      return def;
    }
    return v;
  }

  oneOf<T extends string>(key: string, values: readonly T[], def?: T): T {
    const v = this.obj[key];
    if (v === undefined && def !== undefined) return def;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      this.issues.push({ path: this.path(key), value: v, allowed: `one of ${values.join(', ')}` });
      return def ?? values[0]!;
    }
    return v as T;
  }

  /** A nested object reader sharing this reader's issue list. */
  child(key: string): FieldReader {
    return new FieldReader(this.obj[key] ?? {}, this.path(key), this.issues);
  }
}
