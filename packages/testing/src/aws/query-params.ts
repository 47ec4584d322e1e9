import { AwsFault } from './aws-fault.js';

/** lowerCamel member name as AWS writes it in validation messages (`desiredCapacity`). */
function memberName(key: string): string {
  return key.charAt(0).toLowerCase() + key.slice(1);
}

/**
 * The form-encoded parameters of one Query API request, read with the constraint checks and
 * error wording AWS uses (`1 validation error detected: Value null at 'x' failed to satisfy constraint: ...`).
 */
export class QueryParams {
  readonly action: string;
  readonly version: string;
  private readonly params: URLSearchParams;

  constructor(body: string) {
    this.params = new URLSearchParams(body);
    this.action = this.params.get('Action') ?? '';
    this.version = this.params.get('Version') ?? '';
  }

  /** Every parameter, for request recording. */
  entries(): Record<string, string> {
    return Object.fromEntries(this.params.entries());
  }

  has(key: string): boolean {
    return this.params.has(key);
  }

  optionalString(key: string, opts: { maxLength?: number } = {}): string | undefined {
    const v = this.params.get(key);
    if (v === null) return undefined;
    const max = opts.maxLength ?? 255;
    if (v.length < 1 || v.length > max) {
      throw AwsFault.validation(
        `1 validation error detected: Value '${v}' at '${memberName(key)}' failed to satisfy constraint: ` +
          `Member must have length between 1 and ${max}`,
      );
    }
    return v;
  }

  string(key: string, opts: { maxLength?: number } = {}): string {
    const v = this.optionalString(key, opts);
    if (v === undefined) throw QueryParams.missing(key);
    return v;
  }

  optionalInt(key: string, opts: { min?: number; max?: number } = {}): number | undefined {
    const v = this.params.get(key);
    if (v === null) return undefined;
    if (!/^-?\d+$/.test(v)) {
      throw AwsFault.validation(
        `1 validation error detected: Value '${v}' at '${memberName(key)}' failed to satisfy constraint: Member must be an integer`,
      );
    }
    const n = Number(v);
    if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max)) {
      const bound =
        opts.min !== undefined && n < opts.min
          ? `greater than or equal to ${opts.min}`
          : `less than or equal to ${opts.max}`;
      throw AwsFault.validation(
        `1 validation error detected: Value '${n}' at '${memberName(key)}' failed to satisfy constraint: Member must have value ${bound}`,
      );
    }
    return n;
  }

  int(key: string, opts: { min?: number; max?: number } = {}): number {
    const v = this.optionalInt(key, opts);
    if (v === undefined) throw QueryParams.missing(key);
    return v;
  }

  optionalBoolean(key: string): boolean | undefined {
    const v = this.params.get(key);
    if (v === null) return undefined;
    if (v !== 'true' && v !== 'false') {
      throw AwsFault.validation(
        `1 validation error detected: Value '${v}' at '${memberName(key)}' failed to satisfy constraint: Member must be a boolean (true or false)`,
      );
    }
    return v === 'true';
  }

  optionalEnum<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.params.get(key);
    if (v === null) return undefined;
    if (!(values as readonly string[]).includes(v)) {
      throw AwsFault.validation(
        `1 validation error detected: Value '${v}' at '${memberName(key)}' failed to satisfy constraint: ` +
          `Member must satisfy enum value set: [${values.join(', ')}]`,
      );
    }
    return v as T;
  }

  enum<T extends string>(key: string, values: readonly T[]): T {
    const v = this.optionalEnum(key, values);
    if (v === undefined) throw QueryParams.missing(key);
    return v;
  }

  /** A Query list: `Key.member.1`, `Key.member.2`, ... (an empty list is sent as `Key=`). */
  list(key: string): string[] {
    const out: string[] = [];
    for (let i = 1; ; i++) {
      const v = this.params.get(`${key}.member.${i}`);
      if (v === null) return out;
      out.push(v);
    }
  }

  private static missing(key: string): AwsFault {
    return AwsFault.validation(
      `1 validation error detected: Value null at '${memberName(key)}' failed to satisfy constraint: Member must not be null`,
    );
  }
}
