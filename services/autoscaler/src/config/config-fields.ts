import { isAbsolute, resolve } from 'node:path';
import type { FieldReader } from '@warmpool/domain';

/** Environment the config may consult (REDIS_URL selects the Redis queue); injected so tests do not read the process. */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

export const HTTP_URL = /^https?:\/\/[^\s/]+(\/[^\s]*)?$/;
export const REDIS_URL = /^rediss?:\/\/[^\s]+$/;
export const DAY_S = 86_400;

export function optionalString(
  r: FieldReader,
  key: string,
  opts: { pattern?: RegExp; patternText?: string } = {},
): string | undefined {
  return r.has(key) ? r.string(key, opts) : undefined;
}

export function pathIn(baseDir: string, p: string | undefined): string | undefined {
  if (p === undefined || p === '') return p;
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

export function asObject(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The key path a reader reports under (`models[2]`). */
export function prefixOf(r: FieldReader): string {
  return r.path('_').slice(0, -2);
}

export function pickKeys(r: FieldReader, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (r.has(k)) out[k] = r.raw(k);
  return out;
}
