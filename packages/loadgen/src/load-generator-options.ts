import { ValidationError, type ValidationIssue } from '@warmpool/domain';
import type { ArrivalProcess } from './arrival-schedule.js';
import type { RequestShape } from './request-shape.js';
import type { LoadTrace } from './trace-csv.js';

export interface LoadGeneratorOptions {
  /** Load balancer base URL; loopback only (127.0.0.0/8, ::1, localhost). */
  readonly targetUrl: string;
  readonly model: string;
  readonly trace: LoadTrace;
  /** Trace seconds per wall second. Default 1. */
  readonly speedX?: number;
  /** Requests per trace request. Default 1. Ignored when `peakPerS` is set. */
  readonly scale?: number;
  /** Scale the trace so its busiest bin is this many requests per wall second. */
  readonly peakPerS?: number;
  /** Default `poisson`. */
  readonly arrival?: ArrivalProcess;
  /** Seeds arrivals, shapes and token ids. Default 1. */
  readonly seed?: number;
  /** Request sizes, drawn uniformly per request. Default [1x8]. */
  readonly shapes?: readonly RequestShape[];
  /** Token ids are drawn in [1, tokenIdMax). Default 1000. */
  readonly tokenIdMax?: number;
  /** Requests in flight at most; a due request waits for a slot (the wait is recorded). Default 64. */
  readonly maxConcurrency?: number;
  /** Requests sent at most. Default 100 000. */
  readonly maxRequests?: number;
  /** The run stops by itself after this long, in-flight requests aborted. Default 600 000. */
  readonly timeLimitMs?: number;
  /** Timeout of one request. Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Epoch ms (injected in tests). */
  readonly nowMs?: () => number;
}

export interface ResolvedLoadOptions {
  readonly target: URL;
  readonly model: string;
  readonly trace: LoadTrace;
  readonly speedX: number;
  readonly scale: number;
  readonly peakPerS: number | undefined;
  readonly arrival: ArrivalProcess;
  readonly seed: number;
  readonly shapes: readonly RequestShape[];
  readonly tokenIdMax: number;
  readonly maxConcurrency: number;
  readonly maxRequests: number;
  readonly timeLimitMs: number;
  readonly requestTimeoutMs: number;
  readonly nowMs: () => number;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost)$/;

function num(
  issues: ValidationIssue[],
  path: string,
  v: unknown,
  def: number,
  min: number,
  max: number,
  integer: boolean,
): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    issues.push({ path, value: v, allowed: `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]` });
    return def;
  }
  return v;
}

/** Checks the options (every problem at once, naming the key) and fills defaults. */
export function resolveLoadOptions(o: LoadGeneratorOptions): ResolvedLoadOptions {
  const issues: ValidationIssue[] = [];
  let target = new URL('http://127.0.0.1/');
  try {
    target = new URL(o.targetUrl);
    if (target.protocol !== 'http:') issues.push({ path: 'targetUrl', value: o.targetUrl, allowed: 'an http:// URL' });
    if (!LOOPBACK.test(target.hostname))
      issues.push({
        path: 'targetUrl',
        value: o.targetUrl,
        allowed: 'a loopback address (127.0.0.1, ::1, localhost): the load generator never leaves this machine',
      });
  } catch {
    issues.push({ path: 'targetUrl', value: o.targetUrl, allowed: 'a URL such as http://127.0.0.1:8080' });
  }
  if (typeof o.model !== 'string' || !/^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/.test(o.model))
    issues.push({ path: 'model', value: o.model, allowed: 'a model name (lowercase letters, digits, - _ .)' });
  if (!o.trace || !Array.isArray(o.trace.counts) || !(o.trace.binS > 0))
    issues.push({ path: 'trace', value: o.trace?.name, allowed: 'a parsed trace (parseTraceCsv / readTraceCsv)' });
  const speedX = num(issues, 'speedX', o.speedX, 1, 1e-3, 1e6, false);
  const scale = num(issues, 'scale', o.scale, 1, 0, 1e6, false);
  const peakPerS = o.peakPerS === undefined ? undefined : num(issues, 'peakPerS', o.peakPerS, 1, 1e-3, 1e5, false);
  const arrival = o.arrival ?? 'poisson';
  if (arrival !== 'uniform' && arrival !== 'poisson')
    issues.push({ path: 'arrival', value: o.arrival, allowed: 'uniform or poisson' });
  const seed = num(issues, 'seed', o.seed, 1, 0, 2 ** 32 - 1, true);
  const shapes = o.shapes ?? [{ batch: 1, seq: 8 }];
  if (
    !Array.isArray(shapes) ||
    shapes.length === 0 ||
    shapes.some((s) => !Number.isInteger(s.batch) || s.batch < 1 || !Number.isInteger(s.seq) || s.seq < 1)
  ) {
    issues.push({ path: 'shapes', value: shapes, allowed: 'a non-empty list of { batch, seq } positive integers' });
  }
  const tokenIdMax = num(issues, 'tokenIdMax', o.tokenIdMax, 1000, 2, 2 ** 31, true);
  const maxConcurrency = num(issues, 'maxConcurrency', o.maxConcurrency, 64, 1, 10_000, true);
  const maxRequests = num(issues, 'maxRequests', o.maxRequests, 100_000, 0, 10_000_000, true);
  const timeLimitMs = num(issues, 'timeLimitMs', o.timeLimitMs, 600_000, 1, 86_400_000, true);
  const requestTimeoutMs = num(issues, 'requestTimeoutMs', o.requestTimeoutMs, 30_000, 1, 3_600_000, true);
  if (issues.length > 0) throw new ValidationError(issues, 'load generator options');
  return {
    target,
    model: o.model,
    trace: o.trace,
    speedX,
    scale,
    peakPerS,
    arrival,
    seed,
    shapes,
    tokenIdMax,
    maxConcurrency,
    maxRequests,
    timeLimitMs,
    requestTimeoutMs,
    nowMs: o.nowMs ?? Date.now,
  };
}
