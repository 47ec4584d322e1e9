import { FieldReader, ValidationError, type ValidationIssue } from '@warmpool/domain';
import * as ort from 'onnxruntime-node';
import type { Feeds, ModelInputInfo } from './feed-builder.js';
import { fromHalfBits, toHalfBits } from './half-float.js';

/**
 * JSON form of a tensor, used by the infer endpoint and recorded-input files:
 * `{ "dims": [2, 8], "data": [...row-major numbers], "type": "int64" }` (`type` optional: the
 * model's declared input type). Outputs come back in the same form.
 */
export interface TensorJson {
  readonly dims: number[];
  readonly type: string;
  readonly data: number[];
}

/** Largest tensor accepted from JSON (elements). */
export const MAX_JSON_TENSOR_ELEMENTS = 1 << 22;

/** Every input type warm-up feeds (FeedBuilder) is also taken from JSON; float16 as numbers, sent as half bits. */
const TYPED: Record<string, (n: number[]) => ort.Tensor['data']> = {
  float32: (n) => Float32Array.from(n),
  float16: (n) => Uint16Array.from(n, (v) => toHalfBits(v)),
  float64: (n) => Float64Array.from(n),
  int32: (n) => Int32Array.from(n),
  int64: (n) => BigInt64Array.from(n, (v) => BigInt(v)),
  int8: (n) => Int8Array.from(n),
  uint8: (n) => Uint8Array.from(n),
  bool: (n) => Uint8Array.from(n, (v) => (v ? 1 : 0)),
};
const FLOAT_TYPES = new Set(['float32', 'float16', 'float64']);
/** Integer types whose values would wrap outside these bounds (inclusive). */
const INT_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  int32: [-(2 ** 31), 2 ** 31 - 1],
  bool: [0, 1],
};

/**
 * Reads `{ inputName: TensorJson }` against the model's inputs, collecting every problem with its
 * key path (`inputs.input_ids.dims[1]`) into one ValidationError.
 */
export function parseFeeds(
  value: unknown,
  inputs: readonly ModelInputInfo[],
  source: string,
  prefix = 'inputs',
): Feeds {
  const issues: ValidationIssue[] = [];
  const feeds: Feeds = {};
  const root = new FieldReader(value, prefix, issues);
  root.rejectUnknown(inputs.map((i) => i.name));
  for (const input of inputs) {
    const path = `${prefix}.${input.name}`;
    if (!root.has(input.name)) {
      issues.push({
        path,
        value: undefined,
        allowed: `a tensor {dims, data} for model input ${input.name} [${input.dims.join(', ')}] ${input.type}`,
      });
      continue;
    }
    const t = root.child(input.name);
    t.rejectUnknown(['dims', 'data', 'type']);
    const type = t.has('type') ? t.oneOf('type', [input.type]) : input.type;
    const make = TYPED[type];
    if (!make) {
      issues.push({ path, value: input.type, allowed: `a model input of type ${Object.keys(TYPED).join(', ')}` });
      continue;
    }
    const dims = t.raw('dims');
    const before = issues.length;
    if (!Array.isArray(dims) || dims.length !== input.dims.length) {
      issues.push({
        path: `${path}.dims`,
        value: dims,
        allowed: `an array of ${input.dims.length} sizes matching [${input.dims.join(', ')}]`,
      });
    } else {
      dims.forEach((d: unknown, i) => {
        const fixed = input.dims[i];
        // 0 is a size (an empty KV cache on the first step), as the v2 path takes it.
        if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
          issues.push({ path: `${path}.dims[${i}]`, value: d, allowed: 'a size >= 0' });
        } else if (typeof fixed === 'number' && fixed > 0 && d !== fixed) {
          issues.push({ path: `${path}.dims[${i}]`, value: d, allowed: `${fixed} (fixed in the model)` });
        }
      });
    }
    const data = t.raw('data');
    if (!Array.isArray(data)) {
      issues.push({
        path: `${path}.data`,
        value: typeof data === 'object' ? '(not an array)' : data,
        allowed: 'an array of numbers',
      });
    }
    if (issues.length > before || !Array.isArray(data) || !Array.isArray(dims)) continue;
    const n = (dims as number[]).reduce((a, b) => a * b, 1);
    if (n > MAX_JSON_TENSOR_ELEMENTS) {
      issues.push({ path: `${path}.dims`, value: dims, allowed: `at most ${MAX_JSON_TENSOR_ELEMENTS} elements` });
      continue;
    }
    if (data.length !== n) {
      issues.push({
        path: `${path}.data`,
        value: `(${data.length} values)`,
        allowed: `${n} values (product of dims [${(dims as number[]).join(', ')}])`,
      });
      continue;
    }
    const integer = !FLOAT_TYPES.has(type);
    const [lo, hi] = INT_RANGE[type] ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    const bad = data.findIndex(
      (v: unknown) =>
        typeof v !== 'number' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < lo || v > hi,
    );
    if (bad >= 0) {
      issues.push({
        path: `${path}.data[${bad}]`,
        value: data[bad],
        allowed: INT_RANGE[type]
          ? `an integer in [${lo}, ${hi}] (${type})`
          : integer
            ? 'an integer'
            : 'a finite number',
      });
      continue;
    }
    feeds[input.name] = new ort.Tensor(type as 'float32', make(data as number[]) as Float32Array, dims as number[]);
  }
  if (issues.length > 0) throw new ValidationError(issues, source);
  return feeds;
}

export function encodeTensor(t: ort.Tensor): TensorJson {
  const data = t.data;
  const values: number[] =
    data instanceof BigInt64Array || data instanceof BigUint64Array
      ? Array.from(data, (v) => Number(v))
      : t.type === 'float16'
        ? Array.from(data as Uint16Array, fromHalfBits)
        : Array.from(data as ArrayLike<number>);
  return { dims: [...t.dims], type: t.type, data: values };
}
