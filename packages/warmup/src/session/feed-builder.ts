import * as ort from 'onnxruntime-node';
import { ModelShapeError } from '../errors/model-shape-error.js';
import { SeededRandom } from '@warmpool/domain';
import { shapeLabel, type InputShape } from './input-shape.js';

/** What the model says about one input. */
export interface ModelInputInfo {
  readonly name: string;
  readonly type: string;
  /** Numbers are fixed sizes, strings symbolic (dynamic) dimensions. */
  readonly dims: ReadonlyArray<number | string>;
}

export type Feeds = Record<string, ort.Tensor>;

const SUPPORTED_TYPES = ['int64', 'int32', 'float32'] as const;

/** The inputs a session declares. */
export function describeInputs(session: ort.InferenceSession): ModelInputInfo[] {
  return session.inputMetadata.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] },
  );
}

/**
 * Builds synthetic feeds for a batch x seq shape. Dynamic dimensions are filled in order (first
 * with batch, second with seq); fixed ones must match. Token ids are drawn in [0, tokenIdMax).
 */
export class FeedBuilder {
  constructor(
    private readonly inputs: readonly ModelInputInfo[],
    private readonly modelLabel: string,
    private readonly tokenIdMax = 1000,
  ) {}

  /** Concrete dims of each input for a shape, or a ModelShapeError naming shape and input. */
  dimsFor(shape: InputShape): Map<string, number[]> {
    const label = shapeLabel(shape);
    if (!Number.isInteger(shape.batch) || shape.batch < 1 || !Number.isInteger(shape.seq) || shape.seq < 1) {
      throw new ModelShapeError(label, 'batch and seq must be positive integers');
    }
    const out = new Map<string, number[]>();
    for (const input of this.inputs) {
      if (!(SUPPORTED_TYPES as readonly string[]).includes(input.type)) {
        throw new ModelShapeError(label, `input ${input.name} of ${this.modelLabel} has type ${input.type}; warm-up supports ${SUPPORTED_TYPES.join(', ')}`);
      }
      const wanted = [shape.batch, shape.seq];
      let next = 0;
      const dims = input.dims.map((d, axis) => {
        const want = axis < 2 ? wanted[axis]! : undefined;
        if (typeof d === 'number' && d > 0) {
          if (want !== undefined && d !== want) {
            throw new ModelShapeError(
              label,
              `input ${input.name} of ${this.modelLabel} has fixed shape [${input.dims.join(', ')}]: axis ${axis} is ${d}, the spec asks for ${want}`,
            );
          }
          next = Math.max(next, axis + 1);
          return d;
        }
        if (want === undefined) {
          throw new ModelShapeError(label, `input ${input.name} of ${this.modelLabel} has dynamic axis ${axis} (${String(d)}) beyond batch and seq; cannot choose its size`);
        }
        next = axis + 1;
        return want;
      });
      if (dims.length < 2) {
        throw new ModelShapeError(label, `input ${input.name} of ${this.modelLabel} has rank ${dims.length} shape [${input.dims.join(', ')}]; batch x seq needs rank >= 2`);
      }
      out.set(input.name, dims);
    }
    return out;
  }

  build(shape: InputShape, seed = 1): Feeds {
    const rnd = new SeededRandom(seed + shape.batch * 7919 + shape.seq);
    const feeds: Feeds = {};
    for (const [name, dims] of this.dimsFor(shape)) {
      const info = this.inputs.find((i) => i.name === name)!;
      const n = dims.reduce((a, b) => a * b, 1);
      if (info.type === 'float32') {
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) data[i] = rnd.symmetric(1);
        feeds[name] = new ort.Tensor('float32', data, dims);
      } else if (info.type === 'int32') {
        const data = new Int32Array(n);
        for (let i = 0; i < n; i++) data[i] = Math.floor(rnd.next() * this.tokenIdMax);
        feeds[name] = new ort.Tensor('int32', data, dims);
      } else {
        const data = new BigInt64Array(n);
        for (let i = 0; i < n; i++) data[i] = BigInt(Math.floor(rnd.next() * this.tokenIdMax));
        feeds[name] = new ort.Tensor('int64', data, dims);
      }
    }
    return feeds;
  }
}
