import type { ModelInputInfo } from './model-input-info.js';

/** What a dynamic dimension is, as far as warm-up can tell from the model alone. */
export type DimRole = 'batch' | 'seq' | 'height' | 'width' | 'channels';
export const DIM_ROLES: readonly DimRole[] = ['batch', 'seq', 'height', 'width', 'channels'];

/** Sizes warmed for a role when the spec says nothing. */
export const DEFAULT_ROLE_SIZES: Readonly<Record<DimRole, readonly number[]>> = {
  batch: [1],
  seq: [16, 64],
  height: [224],
  width: [224],
  channels: [3],
};

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
 * The role of one axis from the common patterns: axis 0 of a tensor of rank >= 2 is the batch;
 * `[N, C, H, W]` float images; `[batch, seq]` integer tokens; `[batch, seq, features]` float
 * sequences; every dynamic axis of a state tensor follows the batch. Undefined: no guess.
 */
export function guessRole(input: ModelInputInfo, axis: number): DimRole | undefined {
  const rank = input.dims.length;
  const float = !isIntegerType(input.type) && input.type !== 'bool';
  if (rank < 2) return undefined;
  if (float && isStateInput(input)) return isDynamic(input.dims[axis]!) ? 'batch' : undefined;
  if (axis === 0) return 'batch';
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
