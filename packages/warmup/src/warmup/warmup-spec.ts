import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { FieldReader, ValidationError, type ValidationIssue } from '@warmpool/domain';
import type { InputFill } from '../session/feed-builder.js';
import { VALUE_KINDS, specKeyAllowsZero } from '../session/input-roles.js';
import { dedupeShapes, type InputShape } from '../session/input-shape.js';

export type OnTimeoutPolicy = 'register-anyway' | 'fail';

/** How one model is warmed before it takes traffic. */
export interface WarmupSpec {
  /**
   * Explicit shape buckets (`{ batch: 1, seq: 16 }`, `{ height: 640, width: 480 }`: dimension name or
   * role to size; missing dimensions take their first size). Empty: the cross product of `dims`, or
   * the defaults guessed from the model.
   */
  readonly shapes: readonly InputShape[];
  /** Sizes per dynamic dimension (by its name in the model, its role, or `input[axis]`). */
  readonly dims: Readonly<Record<string, readonly number[]>>;
  /** How synthetic values are drawn per input (a constant, token ids below a max, zeros, ...). */
  readonly inputs: Readonly<Record<string, InputFill>>;
  /** Whether synthetic inputs are warmed (false when the spec gives only recorded inputs or shapes). */
  readonly syntheticInputs: boolean;
  /**
   * JSON file of recorded production-like inputs (`{ "inputs": [ { name: {dims, data} } ] }`);
   * `loadWarmupSpec` resolves a relative path against the spec file's folder.
   */
  readonly recordedInputsFile: string | undefined;
  /** JSON file of recorded request shapes (a ShapeRecorder snapshot): their buckets are warmed too. */
  readonly recordedShapesFile: string | undefined;
  /** Concurrent requests the concurrency pass validates. */
  readonly concurrency: number;
  /** Rounds of the concurrency pass. */
  readonly concurrencyRounds: number;
  /** Total time warm-up may take. */
  readonly budgetMs: number;
  readonly onTimeout: OnTimeoutPolicy;
  /** Passes per convergence window. */
  readonly windowSize: number;
  /** Relative tolerance of convergence (0.1 = 10 %): the spread allowed among the last windows' medians. */
  readonly tolerance: number;
  /** Window medians that must agree (and not trend down) for convergence. */
  readonly convergenceWindows: number;
  /** Warm passes in all; the last ones (after convergence) run round-robin so the code around the model is warm too. */
  readonly minPasses: number;
  /** Most of the budget the passes up to `minPasses` may take. */
  readonly settleBudgetFraction: number;
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
  shapes: [],
  dims: {},
  inputs: {},
  syntheticInputs: true,
  recordedInputsFile: undefined,
  recordedShapesFile: undefined,
  concurrency: 2,
  concurrencyRounds: 5,
  budgetMs: 60_000,
  onTimeout: 'register-anyway',
  windowSize: 5,
  tolerance: 0.1,
  convergenceWindows: 3,
  minPasses: 300,
  settleBudgetFraction: 0.1,
  maxPassesPerShape: 200,
  memoryLimitBytes: undefined,
  maxMemoryFraction: 0.8,
  keepWarmIdleMs: 10_000,
  tokenIdMax: 1000,
};

/** The keys of a warm-up spec file (JSON); units are in the names. */
export const WARMUP_SPEC_KEYS = [
  'shapes',
  'dims',
  'inputs',
  'batchSizes',
  'seqLengths',
  'recordedInputsFile',
  'recordedShapesFile',
  'concurrency',
  'concurrencyRounds',
  'budgetS',
  'onTimeout',
  'windowSize',
  'tolerance',
  'convergenceWindows',
  'minPasses',
  'settleBudgetFraction',
  'maxPassesPerShape',
  'memoryLimitBytes',
  'maxMemoryFraction',
  'keepWarmIdleS',
  'tokenIdMax',
] as const;

function readIntList(r: FieldReader, key: string, max: number): number[] | undefined {
  if (!r.has(key)) return undefined;
  const v = r.raw(key);
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < 1 || x > max)
  ) {
    r.issues.push({ path: r.path(key), value: v, allowed: `a non-empty array of integers in [1, ${max}]` });
    return undefined;
  }
  return v as number[];
}

const MAX_DIM_SIZE = 1 << 20;
const MAX_SIZES_PER_DIM = 64;

/** `[1, 4]` or `{ "min": 320, "max": 640, "step": 160 }` (inclusive), as a list of sizes. */
function readSizes(value: unknown, path: string, issues: ValidationIssue[], key: string): number[] {
  // 0 only for a KV cache's past length (an empty cache on the first step).
  const least = specKeyAllowsZero(key) ? 0 : 1;
  if (Array.isArray(value)) {
    if (
      value.length === 0 ||
      value.length > MAX_SIZES_PER_DIM ||
      value.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < least || x > MAX_DIM_SIZE)
    ) {
      issues.push({
        path,
        value,
        allowed: `a list of 1 to ${MAX_SIZES_PER_DIM} integers in [${least}, ${MAX_DIM_SIZE}], or {min, max, step}`,
      });
      return [];
    }
    return [...new Set(value as number[])];
  }
  const r = new FieldReader(value, path, issues);
  r.rejectUnknown(['min', 'max', 'step']);
  const min = r.number('min', { integer: true, min: least, max: MAX_DIM_SIZE });
  const max = r.number('max', { integer: true, min: 1, max: MAX_DIM_SIZE });
  const step = r.number('step', { integer: true, min: 1, max: MAX_DIM_SIZE, default: Math.max(1, max - min) });
  if (max < min) {
    issues.push({ path: `${path}.max`, value: max, allowed: `at least min (${min})` });
    return [];
  }
  if (Math.floor((max - min) / step) + 1 > MAX_SIZES_PER_DIM) {
    issues.push({
      path: `${path}.step`,
      value: step,
      allowed: `a step giving at most ${MAX_SIZES_PER_DIM} sizes from ${min} to ${max}`,
    });
    return [];
  }
  const out: number[] = [];
  for (let v = min; v <= max; v += step) out.push(v);
  if (out.at(-1) !== max) out.push(max);
  return out;
}

function readShape(value: unknown, path: string, issues: ValidationIssue[]): InputShape {
  const r = new FieldReader(value, path, issues);
  const out: Record<string, number> = {};
  const keys = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
  if (keys.length === 0 || keys.length > 16)
    issues.push({ path, value, allowed: 'an object of 1 to 16 dimension sizes, e.g. {"batch": 1, "seq": 16}' });
  for (const k of keys.slice(0, 16))
    out[k] = r.number(k, { integer: true, min: specKeyAllowsZero(k) ? 0 : 1, max: MAX_DIM_SIZE });
  return out;
}

function readInputs(value: unknown, issues: ValidationIssue[]): Record<string, InputFill> {
  const r = new FieldReader(value, 'inputs', issues);
  const out: Record<string, InputFill> = {};
  const names = value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.keys(value) : [];
  for (const name of names.slice(0, 256)) {
    const c = r.child(name);
    c.rejectUnknown(['value', 'values', 'min', 'max']);
    const fill: { -readonly [K in keyof InputFill]: InputFill[K] } = {};
    if (c.has('value')) fill.value = c.number('value');
    if (c.has('values')) fill.values = c.oneOf('values', VALUE_KINDS);
    if (c.has('min')) fill.min = c.number('min');
    if (c.has('max')) fill.max = c.number('max');
    if (fill.min !== undefined && fill.max !== undefined && !(fill.max > fill.min)) {
      issues.push({ path: c.path('max'), value: fill.max, allowed: `greater than min (${fill.min})` });
    }
    if (fill.value !== undefined && fill.values !== undefined)
      issues.push({ path: c.path('value'), value: fill.value, allowed: 'value or values, not both' });
    out[name] = fill;
  }
  if (names.length > 256)
    issues.push({ path: 'inputs', value: `(${names.length} inputs)`, allowed: 'at most 256 inputs' });
  return out;
}

/**
 * Validates a warm-up spec object. The model says which inputs it has, their types and shapes;
 * the spec says only what the model cannot: sizes of dynamic dimensions (`dims`, or explicit
 * buckets in `shapes`; `batchSizes` x `seqLengths` is the older form), how values are drawn per
 * input (`inputs`), recorded inputs or shapes. Every problem is reported at once, naming the key.
 * `baseDir`: relative file paths in the spec are resolved against it (the spec file's folder).
 */
export function parseWarmupSpec(input: unknown, source = 'warm-up spec', baseDir?: string): WarmupSpec {
  const issues: ValidationIssue[] = [];
  const r = new FieldReader(input, '', issues);
  r.rejectUnknown(WARMUP_SPEC_KEYS);
  const shapes: InputShape[] = [];
  if (r.has('shapes')) {
    const raw = r.raw('shapes');
    if (!Array.isArray(raw) || raw.length === 0 || raw.length > 256) {
      issues.push({
        path: 'shapes',
        value: raw,
        allowed: 'a non-empty array (at most 256) of buckets like {"batch": 1, "seq": 16}',
      });
    } else {
      for (const [i, s] of raw.entries()) shapes.push(readShape(s, `shapes[${i}]`, issues));
    }
  }
  const batches = readIntList(r, 'batchSizes', 4096);
  const seqs = readIntList(r, 'seqLengths', 1 << 20);
  if (r.has('batchSizes') !== r.has('seqLengths')) {
    issues.push({
      path: r.has('batchSizes') ? 'seqLengths' : 'batchSizes',
      value: undefined,
      allowed: 'given together with the other (their cross product is warmed)',
    });
  }
  if (batches && seqs) for (const batch of batches) for (const seq of seqs) shapes.push({ batch, seq });
  const dims: Record<string, number[]> = {};
  if (r.has('dims')) {
    const raw = r.raw('dims');
    const keys = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? Object.keys(raw) : [];
    if (keys.length === 0 || keys.length > 64)
      issues.push({ path: 'dims', value: raw, allowed: 'an object of 1 to 64 dimension names (or roles) to sizes' });
    for (const k of keys.slice(0, 64)) dims[k] = readSizes((raw as Record<string, unknown>)[k], `dims.${k}`, issues, k);
  }
  const inputs = r.has('inputs') ? readInputs(r.raw('inputs'), issues) : {};
  const file = (key: string): string | undefined => {
    if (!r.has(key)) return undefined;
    const f = r.string(key);
    return baseDir && f && !isAbsolute(f) ? resolve(baseDir, f) : f;
  };
  const recordedInputsFile = file('recordedInputsFile');
  const recordedShapesFile = file('recordedShapesFile');
  const recordedOnly =
    (recordedInputsFile !== undefined || recordedShapesFile !== undefined) &&
    shapes.length === 0 &&
    !r.has('dims') &&
    !r.has('shapes');
  const d = WARMUP_SPEC_DEFAULTS;
  const spec: WarmupSpec = {
    shapes: dedupeShapes(shapes),
    dims,
    inputs,
    syntheticInputs: !recordedOnly,
    recordedInputsFile,
    recordedShapesFile,
    concurrency: r.number('concurrency', { default: d.concurrency, integer: true, min: 1, max: 256 }),
    concurrencyRounds: r.number('concurrencyRounds', {
      default: d.concurrencyRounds,
      integer: true,
      min: 0,
      max: 10_000,
    }),
    budgetMs: r.number('budgetS', { default: d.budgetMs / 1000, min: 0, max: 3600, exclusiveMin: true }) * 1000,
    onTimeout: r.oneOf('onTimeout', ['register-anyway', 'fail'], d.onTimeout),
    windowSize: r.number('windowSize', { default: d.windowSize, integer: true, min: 2, max: 1000 }),
    tolerance: r.number('tolerance', { default: d.tolerance, min: 0, max: 1, exclusiveMin: true }),
    convergenceWindows: r.number('convergenceWindows', {
      default: d.convergenceWindows,
      integer: true,
      min: 2,
      max: 100,
    }),
    minPasses: r.number('minPasses', { default: d.minPasses, integer: true, min: 0, max: 1_000_000 }),
    settleBudgetFraction: r.number('settleBudgetFraction', { default: d.settleBudgetFraction, min: 0, max: 1 }),
    maxPassesPerShape: r.number('maxPassesPerShape', {
      default: d.maxPassesPerShape,
      integer: true,
      min: 2,
      max: 1_000_000,
    }),
    memoryLimitBytes: r.has('memoryLimitBytes')
      ? r.number('memoryLimitBytes', { integer: true, min: 1, exclusiveMin: false })
      : undefined,
    maxMemoryFraction: r.number('maxMemoryFraction', {
      default: d.maxMemoryFraction,
      min: 0,
      max: 1,
      exclusiveMin: true,
    }),
    keepWarmIdleMs: r.number('keepWarmIdleS', { default: d.keepWarmIdleMs / 1000, min: 0, max: 86_400 }) * 1000,
    tokenIdMax: r.number('tokenIdMax', { default: d.tokenIdMax, integer: true, min: 1, max: 2 ** 31 - 1 }),
  };
  const needed = spec.windowSize * spec.convergenceWindows;
  if (spec.maxPassesPerShape < needed) {
    issues.push({
      path: 'maxPassesPerShape',
      value: spec.maxPassesPerShape,
      allowed: `at least windowSize x convergenceWindows (${needed}): convergence compares that many windows`,
    });
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
    throw new ValidationError(
      [{ path: '(file)', value: file, allowed: `a readable JSON file (${(e as Error).message})` }],
      file,
      { cause: e },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ValidationError(
      [{ path: '(root)', value: '(unparsable)', allowed: `JSON (${(e as Error).message})` }],
      file,
      { cause: e },
    );
  }
  return parseWarmupSpec(json, file, dirname(resolve(file)));
}
