import * as ort from 'onnxruntime-node';
import type { SeededRandom } from '@warmpool/domain';
import { toHalfBits } from './half-float.js';
import { guessScalar, guessValues, isIntegerType, type ValueKind } from './input-roles.js';
import type { ModelInputInfo } from './model-input-info.js';

/** How the spec fills one input: a constant, or values of a kind (within [min, max)). */
export interface InputFill {
  readonly value?: number;
  readonly values?: ValueKind;
  readonly min?: number;
  readonly max?: number;
}

/**
 * One synthetic input tensor of the given dims: the spec's fill (a constant, or values of a kind in
 * [min, max)), else the guess for the input (a constant for rank-0 scalars, token ids, zeros for
 * state, ones for masks, uniform), in the input's element type.
 */
export function syntheticTensor(
  info: ModelInputInfo,
  dims: number[],
  rnd: SeededRandom,
  fill: InputFill | undefined,
  tokenIdMax: number,
): ort.Tensor {
  const n = dims.reduce((a, b) => a * b, 1);
  const constant = fill?.value ?? (info.dims.length === 0 && !fill?.values ? guessScalar(info) : undefined);
  const kind = fill?.values ?? guessValues(info);
  const integer = isIntegerType(info.type) || info.type === 'bool';
  const lo = fill?.min ?? (kind === 'tokens' ? 0 : -1);
  const hi = fill?.max ?? (kind === 'tokens' ? tokenIdMax : 1);
  const draw = (): number => {
    if (constant !== undefined) return constant;
    switch (kind) {
      case 'zeros':
        return 0;
      case 'ones':
        return 1;
      case 'normal':
        return Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
      default: {
        const v = lo + rnd.next() * (hi - lo);
        return integer ? Math.min(Math.floor(v), Math.ceil(hi) - 1) : v;
      }
    }
  };
  switch (info.type) {
    case 'float32':
      return new ort.Tensor('float32', Float32Array.from({ length: n }, draw), dims);
    case 'float64':
      return new ort.Tensor('float64', Float64Array.from({ length: n }, draw), dims);
    case 'float16':
      return new ort.Tensor(
        'float16',
        Uint16Array.from({ length: n }, () => toHalfBits(draw())),
        dims,
      );
    case 'int32':
      return new ort.Tensor(
        'int32',
        Int32Array.from({ length: n }, () => Math.trunc(draw())),
        dims,
      );
    case 'int8':
      return new ort.Tensor(
        'int8',
        Int8Array.from({ length: n }, () => Math.trunc(draw())),
        dims,
      );
    case 'uint8':
      return new ort.Tensor(
        'uint8',
        Uint8Array.from({ length: n }, () => Math.trunc(draw())),
        dims,
      );
    case 'bool':
      return new ort.Tensor(
        'bool',
        Uint8Array.from({ length: n }, () => (draw() ? 1 : 0)),
        dims,
      );
    default:
      return new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: n }, () => BigInt(Math.trunc(draw()))),
        dims,
      );
  }
}
