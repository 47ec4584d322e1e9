import type { ModelInputInfo } from './model-input-info.js';

/** What a dynamic dimension is, as far as warm-up can tell from the model alone. */
export type DimRole = 'batch' | 'seq' | 'height' | 'width' | 'channels' | 'past';
export const DIM_ROLES: readonly DimRole[] = ['batch', 'seq', 'height', 'width', 'channels', 'past'];

/** Sizes warmed for a role when the spec says nothing. */
export const DEFAULT_ROLE_SIZES: Readonly<Record<DimRole, readonly number[]>> = {
  batch: [1],
  seq: [16, 64],
  height: [224],
  width: [224],
  channels: [3],
  past: [0, 16, 64],
};

/** Roles whose size may be 0 (an empty KV cache on the first decoding step). */
export function roleAllowsZero(role: DimRole | undefined): boolean {
  return role === 'past';
}

/**
 * Spec keys that may be given a size of 0 before the model is known: the `past` role, or a name
 * with `past` in it (`past_sequence_length`); the model's dimensions decide in the end.
 */
export function specKeyAllowsZero(key: string): boolean {
  return /past/i.test(key);
}

/** The `[batch, seq]` buckets a token model gets with no spec: short, long, and a batch of long. */
export const DEFAULT_TOKEN_BUCKETS: ReadonlyArray<{ batch: number; seq: number }> = [
  { batch: 1, seq: 16 },
  { batch: 1, seq: 64 },
  { batch: 4, seq: 64 },
];

/** How synthetic values are drawn for one input. */
export type ValueKind = 'tokens' | 'uniform' | 'normal' | 'zeros' | 'ones';
export const VALUE_KINDS: readonly ValueKind[] = ['tokens', 'uniform', 'normal', 'zeros', 'ones'];

const STATE_NAME = /state|hidden|cache|past|memory|^[hc]0?$|^[hc]_|_[hc]$/i;
const SAMPLE_RATE_NAME = /^(sr|sample_?rate|sampling_?rate)$/i;
/** A dynamic axis of a state tensor that grows with the sequence (a KV cache's past length). */
const PAST_DIM_NAME = /past|seq|len|cache|total|kv/i;
/** Channel counts that mark the last axis of a rank-4 float input as NHWC channels. */
const NHWC_CHANNELS = new Set([1, 3, 4]);
const ONES_NAME = /mask/i;
const ZEROS_NAME = /type_ids|segment|position/i;
const INTEGER_TYPES = new Set(['int64', 'int32', 'int8', 'uint8']);

export function isIntegerType(type: string): boolean {
  return INTEGER_TYPES.has(type);
}

/** A dimension is dynamic when the model gives no positive size for it. */
export function isDynamic(d: number | string): boolean {
  return typeof d !== 'number' || d <= 0;
}

/** The key of a dynamic axis: its symbolic name, or `input[axis]` when the exporter left it unnamed. */
export function dimKey(input: ModelInputInfo, axis: number): string {
  const d = input.dims[axis];
  return typeof d === 'string' && d.length > 0 ? d : `${input.name}[${axis}]`;
}

/** A state tensor (recurrent state, KV cache): float, named like one. */
export function isStateInput(input: ModelInputInfo): boolean {
  return !isIntegerType(input.type) && input.type !== 'bool' && input.dims.length >= 2 && STATE_NAME.test(input.name);
}

/**
 * A float rank-4 input laid out `[N, H, W, C]` (TensorFlow / tf2onnx): its last axis is a fixed
 * 1, 3 or 4 channels and axis 1 is not.
 */
export function isChannelsLast(input: ModelInputInfo): boolean {
  const [, c1, , c3] = input.dims;
  const channels = (d: number | string | undefined): boolean => typeof d === 'number' && NHWC_CHANNELS.has(d);
  return input.dims.length === 4 && channels(c3) && !channels(c1);
}

/** The role of a dynamic axis of a state tensor: axis 0 the batch, a sequence-named (or a rank-4 axis 2) the past. */
function stateRole(input: ModelInputInfo, axis: number): DimRole | undefined {
  const d = input.dims[axis]!;
  if (!isDynamic(d)) return undefined;
  if (axis === 0) return 'batch';
  const named = typeof d === 'string' && d.length > 0;
  if (named ? PAST_DIM_NAME.test(d) : input.dims.length === 4 && axis === 2) return 'past';
  return 'batch';
}

/**
 * The role of one axis from the common patterns: axis 0 of a tensor of rank >= 2 is the batch;
 * `[N, C, H, W]` and `[N, H, W, C]` float images; `[batch, seq]` integer tokens; `[batch, seq,
 * features]` float sequences; the dynamic axes of a state tensor follow the batch, except its
 * sequence axis (a KV cache's `past_sequence_length`), which is `past`. Undefined: no guess.
 */
export function guessRole(input: ModelInputInfo, axis: number): DimRole | undefined {
  const rank = input.dims.length;
  const float = !isIntegerType(input.type) && input.type !== 'bool';
  if (rank < 2) return undefined;
  if (float && isStateInput(input)) return stateRole(input, axis);
  if (axis === 0) return 'batch';
  if (float && rank === 4 && isChannelsLast(input)) return axis === 1 ? 'height' : axis === 2 ? 'width' : 'channels';
  if (float && rank === 4) return axis === 1 ? 'channels' : axis === 2 ? 'height' : 'width';
  if (!float && rank === 2 && axis === 1) return 'seq';
  if (float && rank === 3 && axis === 1 && !isDynamic(input.dims[2]!)) return 'seq';
  return undefined;
}

/** The value kind warm-up draws for an input when the spec says nothing. */
export function guessValues(input: ModelInputInfo): ValueKind {
  if (input.type === 'bool') return 'ones';
  if (isIntegerType(input.type)) {
    if (ONES_NAME.test(input.name)) return 'ones';
    if (ZEROS_NAME.test(input.name)) return 'zeros';
    return 'tokens';
  }
  return isStateInput(input) ? 'zeros' : 'uniform';
}

/** The constant a rank-0 input gets when the spec gives none: 16000 for a sample rate, else 1. */
export function guessScalar(input: ModelInputInfo): number {
  return SAMPLE_RATE_NAME.test(input.name) ? 16000 : 1;
}
