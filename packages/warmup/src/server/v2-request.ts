import { ValidationError, type ValidationIssue } from '@warmpool/domain';
import * as ort from 'onnxruntime-node';
import type { Feeds, ModelInputInfo } from '../session/feed-builder.js';
import { MAX_JSON_TENSOR_ELEMENTS } from '../session/tensor-json.js';
import { summarizeValue } from './issue-summary.js';
import { DATATYPE_BY_ORT, DATATYPE_BY_V2, v2Datatype, type V2Datatype } from './v2-datatypes.js';

/** A parsed Open Inference Protocol v2 infer request. */
export interface V2InferRequest {
  readonly id: string | undefined;
  readonly feeds: Feeds;
  /** Requested outputs (undefined: all), each with whether it goes back as binary data. */
  readonly outputs: ReadonlyArray<{ readonly name: string; readonly binary: boolean }> | undefined;
  /** `parameters.binary_data_output`: every output not asked for by name goes back binary. */
  readonly binaryByDefault: boolean;
}

const MAX_RANK = 16;
const MAX_ID_CHARS = 256;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Flattens JSON `data` (flat, or nested row-major arrays) into `out` with at most `limit` values and nesting depth
 * `maxDepth`; returns the count, or a problem.
 */
function flatten(data: unknown[], maxDepth: number, limit: number, out: unknown[]): string | undefined {
  const stack: Array<{ arr: unknown[]; i: number }> = [{ arr: data, i: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.i >= top.arr.length) {
      stack.pop();
      continue;
    }
    const v = top.arr[top.i++];
    if (Array.isArray(v)) {
      if (stack.length >= maxDepth) return `nested deeper than the tensor's rank (${maxDepth - 1})`;
      stack.push({ arr: v, i: 0 });
    } else {
      if (out.length >= limit) return `more than ${limit} values`;
      out.push(v);
    }
  }
  return undefined;
}

function fillFromJson(
  dt: V2Datatype,
  values: unknown[],
  path: string,
  issues: ValidationIssue[],
): ArrayBufferView | undefined {
  const arr = dt.make(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (dt.json === 'bool') {
      if (typeof v !== 'boolean')
        return void issues.push({ path: `${path}[${i}]`, value: summarizeValue(v), allowed: 'true or false' });
      arr[i] = v ? 1 : 0;
    } else if (typeof v !== 'number' || !Number.isFinite(v)) {
      return void issues.push({ path: `${path}[${i}]`, value: summarizeValue(v), allowed: 'a finite number' });
    } else if (dt.json === 'float') {
      arr[i] = v;
    } else if (!Number.isSafeInteger(v)) {
      return void issues.push({ path: `${path}[${i}]`, value: v, allowed: `an integer (${dt.v2})` });
    } else if (dt.json === 'bigint') {
      arr[i] = BigInt(v);
    } else {
      arr[i] = v;
    }
  }
  return arr;
}

/**
 * Reads a v2 infer request against the model: the JSON header (already parsed) and, with the binary tensor data
 * extension, the bytes after it. Every problem is collected with its key path (`inputs[0].shape[1]`) into one
 * ValidationError whose values are summaries (never tensor data).
 */
export function parseV2InferRequest(
  header: unknown,
  binary: Buffer | undefined,
  model: { readonly name: string; readonly inputs: readonly ModelInputInfo[]; readonly outputNames: readonly string[] },
): V2InferRequest {
  const source = `infer request to model ${model.name}`;
  const issues: ValidationIssue[] = [];
  const fail = () => new ValidationError(issues, source);
  if (!isObject(header)) {
    issues.push({ path: '(body)', value: summarizeValue(header), allowed: 'a JSON object {inputs: [...]}' });
    throw fail();
  }
  for (const key of Object.keys(header)) {
    if (!['id', 'parameters', 'inputs', 'outputs'].includes(key))
      issues.push({
        path: key,
        value: summarizeValue(header[key]),
        allowed: 'one of the keys id, parameters, inputs, outputs',
      });
  }
  let id: string | undefined;
  if (header['id'] !== undefined) {
    if (typeof header['id'] !== 'string' || header['id'].length > MAX_ID_CHARS)
      issues.push({
        path: 'id',
        value: summarizeValue(header['id']),
        allowed: `a string of at most ${MAX_ID_CHARS} characters`,
      });
    else id = header['id'];
  }
  const params = header['parameters'];
  if (params !== undefined && !isObject(params))
    issues.push({ path: 'parameters', value: summarizeValue(params), allowed: 'an object' });
  const binaryByDefault = isObject(params) && params['binary_data_output'] === true;

  const inputs = header['inputs'];
  const feeds: Feeds = {};
  let offset = 0;
  if (!Array.isArray(inputs)) {
    issues.push({
      path: 'inputs',
      value: summarizeValue(inputs),
      allowed: `an array of {name, shape, datatype, data} for ${model.inputs.map((i) => i.name).join(', ')}`,
    });
  } else {
    if (inputs.length > model.inputs.length) {
      issues.push({
        path: 'inputs',
        value: `(${inputs.length} tensors)`,
        allowed: `at most ${model.inputs.length} (the model's inputs ${model.inputs.map((i) => i.name).join(', ')})`,
      });
    }
    for (const [k, item] of inputs.slice(0, model.inputs.length + 1).entries()) {
      const path = `inputs[${k}]`;
      if (!isObject(item)) {
        issues.push({ path, value: summarizeValue(item), allowed: 'a tensor {name, shape, datatype, data}' });
        continue;
      }
      const name = item['name'];
      const info = typeof name === 'string' ? model.inputs.find((i) => i.name === name) : undefined;
      if (!info) {
        issues.push({
          path: `${path}.name`,
          value: summarizeValue(name),
          allowed: `one of the model's inputs ${model.inputs.map((i) => i.name).join(', ')}`,
        });
        continue;
      }
      const at = `${path} (${info.name})`;
      if (feeds[info.name]) {
        issues.push({ path: `${at}.name`, value: info.name, allowed: 'each input once' });
        continue;
      }
      const dt = DATATYPE_BY_ORT.get(info.type);
      if (!dt) {
        issues.push({
          path: `${at}.datatype`,
          value: summarizeValue(item['datatype']),
          allowed: `a supported type (model input ${info.name} is ${info.type}, which this server cannot take)`,
        });
        continue;
      }
      if (item['datatype'] !== dt.v2) {
        const known = typeof item['datatype'] === 'string' && DATATYPE_BY_V2.has(item['datatype']);
        issues.push({
          path: `${at}.datatype`,
          value: summarizeValue(item['datatype']),
          allowed: `${dt.v2} (model input ${info.name} is ${info.type}${known ? '; no conversion' : ''})`,
        });
        continue;
      }
      const shape = item['shape'];
      if (!Array.isArray(shape) || shape.length !== info.dims.length || shape.length > MAX_RANK) {
        issues.push({
          path: `${at}.shape`,
          value: summarizeValue(shape),
          allowed: `${info.dims.length} sizes matching [${info.dims.join(', ')}]`,
        });
        continue;
      }
      const before = issues.length;
      shape.forEach((d: unknown, i) => {
        const fixed = info.dims[i];
        if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
          issues.push({ path: `${at}.shape[${i}]`, value: summarizeValue(d), allowed: 'a size >= 0' });
        else if (typeof fixed === 'number' && fixed > 0 && d !== fixed)
          issues.push({ path: `${at}.shape[${i}]`, value: d, allowed: `${fixed} (fixed in the model)` });
      });
      if (issues.length > before) continue;
      const dims = shape as number[];
      const n = dims.reduce((a, b) => a * b, 1);
      const p = item['parameters'];
      const binarySize = isObject(p) ? p['binary_data_size'] : undefined;
      let data: ArrayBufferView | undefined;
      if (binarySize !== undefined) {
        if (typeof binarySize !== 'number' || !Number.isSafeInteger(binarySize) || binarySize < 0) {
          issues.push({
            path: `${at}.parameters.binary_data_size`,
            value: summarizeValue(binarySize),
            allowed: 'a byte count >= 0',
          });
          continue;
        }
        if (binarySize !== n * dt.bytes) {
          issues.push({
            path: `${at}.parameters.binary_data_size`,
            value: binarySize,
            allowed: `${n * dt.bytes} (${n} ${dt.v2} values of shape [${dims.join(', ')}])`,
          });
          continue;
        }
        if (!binary || offset + binarySize > binary.length) {
          issues.push({
            path: `${at}.parameters.binary_data_size`,
            value: binarySize,
            allowed: `at most the ${(binary?.length ?? 0) - offset} binary bytes left in the body (Inference-Header-Content-Length set?)`,
          });
          continue;
        }
        const arr = dt.make(n);
        binary.copy(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength), 0, offset, offset + binarySize);
        offset += binarySize;
        data = arr;
      } else {
        if (!dt.json) {
          issues.push({
            path: `${at}.data`,
            value: '(JSON)',
            allowed: `${dt.v2} only as binary data (parameters.binary_data_size)`,
          });
          continue;
        }
        const raw = item['data'];
        if (!Array.isArray(raw)) {
          issues.push({ path: `${at}.data`, value: summarizeValue(raw), allowed: `an array of ${n} values` });
          continue;
        }
        if (n > MAX_JSON_TENSOR_ELEMENTS) {
          issues.push({
            path: `${at}.shape`,
            value: dims,
            allowed: `at most ${MAX_JSON_TENSOR_ELEMENTS} elements in JSON (use binary data)`,
          });
          continue;
        }
        const values: unknown[] = [];
        const problem = flatten(raw, dims.length + 1, n, values);
        if (problem) {
          issues.push({
            path: `${at}.data`,
            value: `(${problem})`,
            allowed: `${n} values (shape [${dims.join(', ')}])`,
          });
          continue;
        }
        if (values.length !== n) {
          issues.push({
            path: `${at}.data`,
            value: `(${values.length} values)`,
            allowed: `${n} values (product of shape [${dims.join(', ')}])`,
          });
          continue;
        }
        data = fillFromJson(dt, values, `${at}.data`, issues);
        if (!data) continue;
      }
      feeds[info.name] = new ort.Tensor(info.type as 'float32', data as Float32Array, dims);
    }
    for (const info of model.inputs) {
      if (!feeds[info.name] && !inputs.some((x) => isObject(x) && x['name'] === info.name)) {
        issues.push({
          path: 'inputs',
          value: `(no ${info.name})`,
          allowed: `a tensor for model input ${info.name} [${info.dims.join(', ')}] ${v2Datatype(info.type)}`,
        });
      }
    }
    if (binary && issues.length === 0 && offset !== binary.length) {
      issues.push({
        path: '(binary data)',
        value: `(${binary.length} bytes)`,
        allowed: `${offset} bytes (the sum of binary_data_size)`,
      });
    }
  }

  let outputs: Array<{ name: string; binary: boolean }> | undefined;
  const wanted = header['outputs'];
  if (wanted !== undefined) {
    if (!Array.isArray(wanted) || wanted.length > model.outputNames.length) {
      issues.push({
        path: 'outputs',
        value: summarizeValue(wanted),
        allowed: `an array of at most ${model.outputNames.length} {name} of ${model.outputNames.join(', ')}`,
      });
    } else {
      outputs = [];
      for (const [k, o] of wanted.entries()) {
        const name = isObject(o) ? o['name'] : undefined;
        if (typeof name !== 'string' || !model.outputNames.includes(name)) {
          issues.push({
            path: `outputs[${k}].name`,
            value: summarizeValue(name),
            allowed: `one of the model's outputs ${model.outputNames.join(', ')}`,
          });
          continue;
        }
        const op = isObject(o) ? o['parameters'] : undefined;
        const binaryFlag = isObject(op) ? op['binary_data'] : undefined;
        outputs.push({ name, binary: binaryFlag === undefined ? binaryByDefault : binaryFlag === true });
      }
    }
  }
  if (issues.length > 0) throw fail();
  return { id, feeds, outputs, binaryByDefault };
}
