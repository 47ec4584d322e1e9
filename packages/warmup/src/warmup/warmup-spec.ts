import { readFileSync } from 'node:fs';
import { FieldReader, ValidationError, type ValidationIssue } from '@warmpool/domain';
import type { InputShape } from '../session/input-shape.js';

export type OnTimeoutPolicy = 'register-anyway' | 'fail';

/** How one model is warmed before it takes traffic. */
export interface WarmupSpec {
  /** Representative request shapes (batch x seq). */
  readonly shapes: readonly InputShape[];
  /** JSON file of recorded production-like inputs (`{ "inputs": [ { name: {dims, data} } ] }`), resolved by the caller. */
  readonly recordedInputsFile: string | undefined;
  /** Concurrent requests the concurrency pass validates. */
  readonly concurrency: number;
  /** Rounds of the concurrency pass. */
  readonly concurrencyRounds: number;
  /** Total time warm-up may take. */
  readonly budgetMs: number;
  readonly onTimeout: OnTimeoutPolicy;
  /** Passes per convergence window. */
  readonly windowSize: number;
  /** Relative tolerance of convergence (0.1 = 10 %). */
  readonly tolerance: number;
  /** Upper bound of warm passes for one shape. */
  readonly maxPassesPerShape: number;
  /** Memory limit; undefined: the cgroup limit if readable, else total memory. */
  readonly memoryLimitBytes: number | undefined;
  /** Peak RSS must stay under this fraction of the limit. */
  readonly maxMemoryFraction: number;
  /** Idle time after which a light keep-warm pass runs; 0 disables keep-warm. */
  readonly keepWarmIdleMs: number;
  /** Token ids drawn for synthetic inputs are in [0, tokenIdMax). */
  readonly tokenIdMax: number;
}

export const WARMUP_SPEC_DEFAULTS: WarmupSpec = {
  shapes: [
    { batch: 1, seq: 16 },
    { batch: 1, seq: 64 },
    { batch: 4, seq: 64 },
  ],
  recordedInputsFile: undefined,
  concurrency: 2,
  concurrencyRounds: 5,
  budgetMs: 60_000,
  onTimeout: 'register-anyway',
  windowSize: 5,
  tolerance: 0.1,
  maxPassesPerShape: 200,
  memoryLimitBytes: undefined,
  maxMemoryFraction: 0.8,
  keepWarmIdleMs: 10_000,
  tokenIdMax: 1000,
};

/** The keys of a warm-up spec file (JSON); units are in the names. */
export const WARMUP_SPEC_KEYS = [
  'shapes',
  'batchSizes',
  'seqLengths',
  'recordedInputsFile',
  'concurrency',
  'concurrencyRounds',
  'budgetS',
  'onTimeout',
  'windowSize',
  'tolerance',
  'maxPassesPerShape',
  'memoryLimitBytes',
  'maxMemoryFraction',
  'keepWarmIdleS',
  'tokenIdMax',
] as const;

function readIntList(r: FieldReader, key: string, max: number): number[] | undefined {
  if (!r.has(key)) return undefined;
  const v = r.raw(key);
  if (!Array.isArray(v) || v.length === 0 || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > max)) {
    r.issues.push({ path: r.path(key), value: v, allowed: `a non-empty array of integers in [1, ${max}]` });
    return undefined;
  }
  return v as number[];
}

/**
 * Validates a warm-up spec object. Shapes come from `shapes: [{batch, seq}]` and/or the cross
 * product of `batchSizes` x `seqLengths`. Every problem is reported at once, naming the key.
 */
export function parseWarmupSpec(input: unknown, source = 'warm-up spec'): WarmupSpec {
  const issues: ValidationIssue[] = [];
  const r = new FieldReader(input, '', issues);
  r.rejectUnknown(WARMUP_SPEC_KEYS);
  const shapes: InputShape[] = [];
  if (r.has('shapes')) {
    const raw = r.raw('shapes');
    if (!Array.isArray(raw) || raw.length === 0) {
      issues.push({ path: 'shapes', value: raw, allowed: 'a non-empty array of {batch, seq}' });
    } else {
      raw.forEach((s, i) => {
        const sr = new FieldReader(s, `shapes[${i}]`, issues);
        sr.rejectUnknown(['batch', 'seq']);
        shapes.push({ batch: sr.number('batch', { integer: true, min: 1, max: 4096 }), seq: sr.number('seq', { integer: true, min: 1, max: 1 << 20 }) });
      });
    }
  }
  const batches = readIntList(r, 'batchSizes', 4096);
  const seqs = readIntList(r, 'seqLengths', 1 << 20);
  if (r.has('batchSizes') !== r.has('seqLengths')) {
    issues.push({ path: r.has('batchSizes') ? 'seqLengths' : 'batchSizes', value: undefined, allowed: 'given together with the other (their cross product is warmed)' });
  }
  if (batches && seqs) for (const batch of batches) for (const seq of seqs) shapes.push({ batch, seq });
  const recordedInputsFile = r.has('recordedInputsFile') ? r.string('recordedInputsFile') : undefined;
  const d = WARMUP_SPEC_DEFAULTS;
  const spec: WarmupSpec = {
    shapes: shapes.length > 0 || recordedInputsFile !== undefined || r.has('shapes') ? dedupe(shapes) : d.shapes,
    recordedInputsFile,
    concurrency: r.number('concurrency', { default: d.concurrency, integer: true, min: 1, max: 256 }),
    concurrencyRounds: r.number('concurrencyRounds', { default: d.concurrencyRounds, integer: true, min: 0, max: 10_000 }),
    budgetMs: r.number('budgetS', { default: d.budgetMs / 1000, min: 0, max: 3600, exclusiveMin: true }) * 1000,
    onTimeout: r.oneOf('onTimeout', ['register-anyway', 'fail'], d.onTimeout),
    windowSize: r.number('windowSize', { default: d.windowSize, integer: true, min: 2, max: 1000 }),
    tolerance: r.number('tolerance', { default: d.tolerance, min: 0, max: 1, exclusiveMin: true }),
    maxPassesPerShape: r.number('maxPassesPerShape', { default: d.maxPassesPerShape, integer: true, min: 2, max: 1_000_000 }),
    memoryLimitBytes: r.has('memoryLimitBytes') ? r.number('memoryLimitBytes', { integer: true, min: 1, exclusiveMin: false }) : undefined,
    maxMemoryFraction: r.number('maxMemoryFraction', { default: d.maxMemoryFraction, min: 0, max: 1, exclusiveMin: true }),
    keepWarmIdleMs: r.number('keepWarmIdleS', { default: d.keepWarmIdleMs / 1000, min: 0, max: 86_400 }) * 1000,
    tokenIdMax: r.number('tokenIdMax', { default: d.tokenIdMax, integer: true, min: 1, max: 2 ** 31 - 1 }),
  };
  if (spec.maxPassesPerShape < spec.windowSize * 2) {
    issues.push({ path: 'maxPassesPerShape', value: spec.maxPassesPerShape, allowed: `at least 2 x windowSize (${spec.windowSize * 2}): convergence compares two windows` });
  }
  if (issues.length > 0) throw new ValidationError(issues, source);
  return spec;
}

/** Reads and validates a JSON spec file; errors name the file. */
export function loadWarmupSpec(file: string): WarmupSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ValidationError([{ path: '(file)', value: file, allowed: `a readable JSON file (${(e as Error).message})` }], file, { cause: e });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ValidationError([{ path: '(root)', value: '(unparsable)', allowed: `JSON (${(e as Error).message})` }], file, { cause: e });
  }
  return parseWarmupSpec(json, file);
}

function dedupe(shapes: InputShape[]): InputShape[] {
  const seen = new Set<string>();
  return shapes.filter((s) => {
    const k = `${s.batch}x${s.seq}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
