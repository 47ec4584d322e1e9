import { InferenceRequestError } from '../errors/inference-request-error.js';

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The product of `dims` when every size is a safe integer >= 0 (inexact past 2^53, still over any limit). */
function elements(dims: unknown): number | undefined {
  if (!Array.isArray(dims)) return undefined;
  let n = 1;
  for (const d of dims) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return undefined;
    n *= d;
  }
  return n;
}

/**
 * Refuses a request whose declared shapes (v2 `inputs[k].shape`, v1 `inputs.{name}.dims`) are over the model's
 * input limits, from the parsed JSON alone: before its data is flattened and converted (4 million JSON values of an
 * INT64 input took seconds of the event loop, and /livez with it, before the limit said no). Shapes that are not
 * plain sizes are left to the full parser, which names what is wrong with them.
 */
export function checkDeclaredSizes(
  protocol: 'v1' | 'v2',
  body: unknown,
  model: string,
  limits: Readonly<Record<string, number>> | undefined,
): void {
  if (!limits || !isObject(body)) return;
  const inputs = body['inputs'];
  const declared: Array<[string, unknown]> = [];
  if (protocol === 'v2' && Array.isArray(inputs)) {
    for (const item of inputs)
      if (isObject(item) && typeof item['name'] === 'string') declared.push([item['name'], item['shape']]);
  } else if (protocol === 'v1' && isObject(inputs)) {
    for (const [name, t] of Object.entries(inputs)) if (isObject(t)) declared.push([name, t['dims']]);
  }
  for (const [name, dims] of declared) {
    if (!Object.hasOwn(limits, name)) continue;
    const max = limits[name]!;
    const n = elements(dims);
    if (n !== undefined && n > max) {
      const shown = (dims as number[]).slice(0, 16).join(', ');
      throw new InferenceRequestError(
        'E_INPUT_TOO_LARGE',
        `input ${name.slice(0, 100)} [${shown}] has ${n} elements; model ${model} accepts at most ${max} ` +
          `(its max_input_elements); send a smaller request, or warm a larger shape / raise --input-limit-factor`,
      );
    }
  }
}

/** JSON bytes allowed per tensor value: a double with sign and exponent, its comma and some pretty-printing. */
export const JSON_BYTES_PER_VALUE = 64;
/** JSON bytes allowed besides the values (names, shapes, parameters, id). */
export const JSON_BYTES_SLACK = 64 * 1024;

/**
 * Largest JSON a request may have given the model's input limits (every input's limit x JSON_BYTES_PER_VALUE, plus
 * JSON_BYTES_SLACK), or undefined when an input has no limit or takes strings. A JSON body is parsed on the event
 * loop (about 60 ms a megabyte, and slower on a loaded host): a body far larger than any accepted input could need is
 * refused by its size before it is parsed, so a few 16 MiB bodies cannot hold /livez for seconds.
 */
export function jsonBytesAllowed(
  limits: Readonly<Record<string, number>> | undefined,
  inputs: ReadonlyArray<{ readonly name: string; readonly type: string }>,
): number | undefined {
  if (!limits) return undefined;
  let values = 0;
  for (const { name, type } of inputs) {
    // A string input's values have no bounded JSON size: no cap from the limits then.
    if (type === 'string' || !Object.hasOwn(limits, name)) return undefined;
    values += limits[name]!;
  }
  return values * JSON_BYTES_PER_VALUE + JSON_BYTES_SLACK;
}

/** Refuses (E_INPUT_TOO_LARGE) a request JSON of `bytes` over what the model's input limits allow (jsonBytesAllowed). */
export function checkJsonBytes(
  bytes: number,
  protocol: 'v1' | 'v2',
  model: {
    readonly name: string;
    readonly inputLimits: Readonly<Record<string, number>> | undefined;
    readonly inputs: ReadonlyArray<{ readonly name: string; readonly type: string }>;
  },
): void {
  const cap = jsonBytesAllowed(model.inputLimits, model.inputs);
  if (cap === undefined || bytes <= cap) return;
  throw new InferenceRequestError(
    'E_INPUT_TOO_LARGE',
    `request JSON of ${bytes} bytes is over the ${cap} bytes model ${model.name}'s input limits allow ` +
      `(max_input_elements x ${JSON_BYTES_PER_VALUE} bytes a value); send smaller inputs` +
      (protocol === 'v2' ? ' or binary tensor data' : ''),
  );
}
