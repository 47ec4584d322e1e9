import type * as ort from 'onnxruntime-node';
import { SeededRandom } from '@warmpool/domain';
import { ModelShapeError } from '../errors/model-shape-error.js';
import { dedupeShapes, shapeLabel, type InputShape } from './input-shape.js';
import type { ModelInputInfo } from './model-input-info.js';
import { toHalfBits } from './half-float.js';
import { syntheticTensor, type InputFill } from './synthetic-tensor.js';
import { computedParts, evaluateComputedDim, findComputedDims, type ComputedDim } from './computed-dims.js';
import {
  DIM_ROLES,
  DEFAULT_ROLE_SIZES,
  DEFAULT_TOKEN_BUCKETS,
  dimKey,
  guessRole,
  isDynamic,
  roleAllowsZero,
  type DimRole,
} from './input-roles.js';

export type { ModelInputInfo };
export { toHalfBits };
export type { InputFill };

export type Feeds = Record<string, ort.Tensor>;

/** What the warm-up spec adds to what the model says. */
export interface FeedOptions {
  /** Sizes per dynamic dimension, keyed by its name in the model, its role, or `input[axis]`. */
  readonly dims?: Readonly<Record<string, readonly number[]>>;
  /** Explicit buckets (partial: missing dimensions take their first size). Empty: the cross product of `dims`. */
  readonly shapes?: readonly InputShape[];
  readonly inputs?: Readonly<Record<string, InputFill>>;
  /** Most buckets the cross product of `dims` may give (default 64). */
  readonly maxBuckets?: number;
}

/** One dynamic dimension of the model, shared by every input that names it. */
export interface DynamicDim {
  readonly key: string;
  readonly role: DimRole | undefined;
  /** The first input and axis it appears on. */
  readonly input: string;
  readonly axis: number;
}

const SUPPORTED_TYPES = ['float32', 'float16', 'float64', 'int64', 'int32', 'int8', 'uint8', 'bool'] as const;
export const DEFAULT_MAX_BUCKETS = 64;

/**
 * The `{ seq, past }` steps a decoder with a KV cache gets with no spec: the prompt on an empty
 * cache, then one new token on a cache of 16 and of 64. A model whose mask is `past + 1` takes one
 * token per step, so its first step is one token on the empty cache.
 */
const DECODER_STEPS: ReadonlyArray<{ seq: number; past: number }> = [
  { seq: 16, past: 0 },
  { seq: 1, past: 16 },
  { seq: 1, past: 64 },
];

/** The inputs a session declares. */
export function describeInputs(session: ort.InferenceSession): ModelInputInfo[] {
  return session.inputMetadata.map((m) =>
    m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] },
  );
}

/**
 * Builds synthetic feeds from what the model declares (names, element types, shapes) plus what
 * the spec adds. Dynamic dimensions take their sizes from a bucket, by name or by the role guessed
 * from common patterns (batch; `[N, 3, H, W]` images; `[batch, seq]` integer tokens; state
 * tensors); values are drawn per input (token ids, uniform, zeros for state, ones for masks, a
 * constant for rank-0 scalars).
 */
export class FeedBuilder {
  private readonly options: FeedOptions;
  /** Dimensions named as sums of others (`past_sequence_length + 1`), by expression. */
  private readonly computed: Map<string, ComputedDim>;
  /** Placeholder-named axes (`unk__3`, unnamed) that are the same dimension as an earlier one of their role. */
  private readonly aliases: Map<string, string>;

  constructor(
    private readonly inputs: readonly ModelInputInfo[],
    private readonly modelLabel: string,
    private readonly tokenIdMax = 1000,
    options: FeedOptions = {},
  ) {
    this.options = options;
    this.computed = findComputedDims(inputs);
    this.aliases = this.linkPlaceholders();
  }

  /**
   * Exporters that name no dimension give each input its own placeholders (tf2onnx: `input_ids
   * [unk__1, unk__2]`, `attention_mask [unk__3, unk__4]`), yet a mask must match its ids: a
   * placeholder-named batch, seq or past axis is the same dimension as the first placeholder one of
   * that role. Meaningful names are never linked (they are shared by name).
   */
  private linkPlaceholders(): Map<string, string> {
    const first = new Map<DimRole, string>();
    const out = new Map<string, string>();
    for (const input of this.inputs) {
      input.dims.forEach((d, axis) => {
        const key = dimKey(input, axis);
        const role = guessRole(input, axis);
        if (!isDynamic(d) || !isPlaceholderDim(d) || this.computed.has(key)) return;
        if (role !== 'batch' && role !== 'seq' && role !== 'past') return;
        const canonical = first.get(role);
        if (canonical === undefined) first.set(role, key);
        else if (canonical !== key) out.set(key, canonical);
      });
    }
    return out;
  }

  /** The key of an axis, placeholder aliases resolved (see linkPlaceholders). */
  private keyOf(input: ModelInputInfo, axis: number): string {
    const key = dimKey(input, axis);
    return this.aliases.get(key) ?? key;
  }

  /** A computed dimension's expression and parts, or undefined for a free one. */
  computedDim(key: string): ComputedDim | undefined {
    return this.computed.get(key);
  }

  /** The model's dynamic dimensions, each once (by key), in order of first appearance. */
  dynamicDims(): DynamicDim[] {
    const out = new Map<string, DynamicDim>();
    for (const input of this.inputs) {
      input.dims.forEach((d, axis) => {
        if (!isDynamic(d)) return;
        const key = this.keyOf(input, axis);
        if (this.computed.has(key)) return;
        const role = guessRole(input, axis);
        const seen = out.get(key);
        if (!seen) out.set(key, { key, role, input: input.name, axis });
        else if (!seen.role && role) out.set(key, { ...seen, role });
      });
    }
    return [...out.values()];
  }

  /**
   * Every bucket warm-up runs: the spec's `shapes` (completed), else the cross product of each
   * dynamic dimension's sizes (spec `dims` by name or role, else the role's defaults; a `[batch,
   * seq]` model with no spec gets 1x16, 1x64, 4x64). Throws ModelShapeError naming the input, its
   * shape and the spec key when a dimension cannot be guessed, or when the product is too large.
   */
  buckets(): InputShape[] {
    this.checkTypes('(guessed)');
    this.checkInputNames();
    const dyn = this.dynamicDims();
    if (this.options.shapes && this.options.shapes.length > 0)
      return dedupeShapes(this.options.shapes.map((s) => this.resolve(s)));
    const specDims = this.options.dims ?? {};
    const names = new Set<string>([...dyn.map((d) => d.key), ...(DIM_ROLES as readonly string[])]);
    const unknown = Object.keys(specDims).filter((k) => !names.has(k));
    if (unknown.length > 0) {
      const list = dyn.map((d) => (d.role ? `${d.key} (${d.role})` : d.key)).join(', ') || 'none';
      throw new ModelShapeError(
        '(guessed)',
        `"dims" names ${unknown.join(', ')}, not a dimension of ${this.modelLabel} (its dynamic dimensions: ${list}) nor a role (${DIM_ROLES.join(', ')})${this.computedNote(unknown)}`,
      );
    }
    const given = dyn.some(
      (d) => specDims[d.key] !== undefined || (d.role !== undefined && specDims[d.role] !== undefined),
    );
    const batch = dyn.find((d) => d.role === 'batch');
    const seq = dyn.find((d) => d.role === 'seq');
    if (!given && dyn.length === 2 && batch && seq)
      return DEFAULT_TOKEN_BUCKETS.map((b) => ({ [batch.key]: b.batch, [seq.key]: b.seq }));
    const past = dyn.filter((d) => d.role === 'past');
    const seqs = dyn.filter((d) => d.role === 'seq');
    let buckets: Array<Record<string, number>> = [{}];
    if (!given && past.length > 0) buckets = this.decoderSteps(seqs, past);
    const max = this.options.maxBuckets ?? DEFAULT_MAX_BUCKETS;
    for (const d of dyn) {
      if (buckets[0]![d.key] !== undefined) continue;
      const sizes = this.sizesFor(d) ?? this.unguessable(d, '(guessed)');
      buckets = buckets.flatMap((b) => sizes.map((s) => ({ ...b, [d.key]: s })));
      if (buckets.length > max) {
        throw new ModelShapeError(
          '(guessed)',
          `the sizes in "dims" for ${this.modelLabel} cross to more than ${max} buckets; list the buckets to warm in "shapes" instead`,
        );
      }
    }
    // Keys in the model's order (the decoder steps set seq and past first): labels read batch first.
    return buckets.map((b) => Object.fromEntries(dyn.map((d) => [d.key, b[d.key]!])));
  }

  /** The default decoding steps, each with every `seq` and `past` dimension set (see DECODER_STEPS). */
  private decoderSteps(seqs: readonly DynamicDim[], past: readonly DynamicDim[]): Array<Record<string, number>> {
    const pastKeys = new Set(past.map((d) => d.key));
    const seqKeys = new Set(seqs.map((d) => d.key));
    // `past_sequence_length + 1` with no sequence term: one new token per step.
    const oneToken = [...this.computed.values()].some((c) => {
      const parts = computedParts(c);
      return parts.some((p) => pastKeys.has(p)) && !parts.some((p) => seqKeys.has(p)) && c.terms.some((t) => t.value);
    });
    const steps = oneToken ? DECODER_STEPS.map((s) => ({ ...s, seq: 1 })) : DECODER_STEPS;
    return steps.map((s) =>
      Object.fromEntries([...seqs.map((d) => [d.key, s.seq]), ...past.map((d) => [d.key, s.past])]),
    );
  }

  /** Checks each size of a bucket: a positive integer, or 0 for a `past` dimension (an empty cache). */
  private checkSizes(shape: InputShape, label: string): void {
    const dyn = this.dynamicDims();
    for (const [k, v] of Object.entries(shape)) {
      const zero = roleAllowsZero(k as DimRole) || dyn.some((d) => d.key === k && roleAllowsZero(d.role));
      if (!Number.isInteger(v) || v < (zero ? 0 : 1)) {
        throw new ModelShapeError(label, `${k} must be a ${zero ? 'non-negative' : 'positive'} integer, got ${v}`);
      }
    }
  }

  /** A partial bucket completed with every dynamic dimension (keyed by the model's names). */
  resolve(shape: InputShape): InputShape {
    const label = shapeLabel(shape);
    this.checkSizes(shape, label);
    // A fixed axis the bucket asks another size for (by role: a batch of 4 on a batch-1 model).
    const dynKeys = new Set(this.dynamicDims().map((d) => d.key));
    for (const input of this.inputs) {
      input.dims.forEach((d, axis) => {
        const role = guessRole(input, axis);
        const want = role && !dynKeys.has(role) ? shape[role] : undefined;
        if (!isDynamic(d) && want !== undefined && want !== d) {
          throw new ModelShapeError(
            label,
            `input ${input.name} of ${this.modelLabel} has fixed shape [${input.dims.join(', ')}]: axis ${axis} is ${d}, the spec asks for ${want}`,
          );
        }
      });
    }
    const dyn = this.dynamicDims();
    const known = new Set<string>(dyn.flatMap((d) => (d.role ? [d.key, d.role] : [d.key])));
    for (const input of this.inputs) {
      for (const axis of input.dims.keys()) known.add(guessRole(input, axis) ?? '');
    }
    const unknown = Object.keys(shape).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      const names = dyn.map((d) => (d.role ? `${d.key} (${d.role})` : d.key)).join(', ') || 'none';
      throw new ModelShapeError(
        label,
        `${unknown.join(', ')} is not a dimension of ${this.modelLabel} (its dynamic dimensions: ${names})${this.computedNote(unknown)}`,
      );
    }
    const out: Record<string, number> = {};
    for (const d of dyn) {
      const v = shape[d.key] ?? (d.role ? shape[d.role] : undefined) ?? this.sizesFor(d)?.[0];
      out[d.key] = v ?? this.unguessable(d, label);
    }
    return out;
  }

  /**
   * The bucket of concrete per-input dims (a served request's shape), or undefined when they do
   * not fit the model (an input missing, another rank, a fixed axis differing, one dimension two sizes).
   */
  bucketOf(dims: Readonly<Record<string, readonly number[]>>): InputShape | undefined {
    const out: Record<string, number> = {};
    const computedSeen: Record<string, number> = {};
    const zero = new Set(this.dynamicDims().flatMap((x) => (roleAllowsZero(x.role) ? [x.key] : [])));
    for (const input of this.inputs) {
      const d = dims[input.name];
      if (!d || d.length !== input.dims.length) return undefined;
      for (let axis = 0; axis < d.length; axis++) {
        const size = d[axis]!;
        const declared = input.dims[axis]!;
        if (!Number.isInteger(size) || size < 0) return undefined;
        if (!isDynamic(declared)) {
          if (declared !== size) return undefined;
          continue;
        }
        const key = this.keyOf(input, axis);
        if (size === 0 && !zero.has(key) && !this.computed.has(key)) return undefined;
        const seen = this.computed.has(key) ? computedSeen : out;
        if (seen[key] !== undefined && seen[key] !== size) return undefined;
        seen[key] = size;
      }
    }
    for (const [key, size] of Object.entries(computedSeen)) {
      if (evaluateComputedDim(this.computed.get(key)!, out) !== size) return undefined;
    }
    return out;
  }

  /** Concrete dims of each input for a bucket, or a ModelShapeError naming the bucket and the input. */
  dimsFor(shape: InputShape): Map<string, number[]> {
    const label = shapeLabel(shape);
    this.checkTypes(label);
    const full = this.resolve(shape);
    const out = new Map<string, number[]>();
    for (const input of this.inputs) {
      out.set(
        input.name,
        input.dims.map((d, axis) => (isDynamic(d) ? this.sizeOf(input, axis, full, label) : (d as number))),
      );
    }
    return out;
  }

  /** The size of a dynamic axis in a complete bucket; a computed one from its parts (at least 0). */
  private sizeOf(input: ModelInputInfo, axis: number, full: InputShape, label: string): number {
    const key = this.keyOf(input, axis);
    const c = this.computed.get(key);
    if (!c) return full[key]!;
    const v = evaluateComputedDim(c, full);
    if (v === undefined || v < 0) {
      throw new ModelShapeError(
        label,
        `input ${input.name} of ${this.modelLabel}: axis ${axis} is ${JSON.stringify(key)}, which is ${v} for ${computedParts(
          c,
        )
          .map((p) => `${p} = ${full[p]}`)
          .join(', ')}; give sizes that make it at least 0`,
      );
    }
    return v;
  }

  /** For names that are computed dimensions or placeholder aliases: which dimensions to give instead. */
  private computedNote(keys: readonly string[]): string {
    const notes = keys.flatMap((k) => {
      const c = this.computed.get(k);
      if (c) return [`${JSON.stringify(k)} is computed from ${computedParts(c).join(' and ')}: give those`];
      const a = this.aliases.get(k);
      return a ? [`${JSON.stringify(k)} is the same dimension as ${JSON.stringify(a)}: give that`] : [];
    });
    return notes.length > 0 ? `; ${notes.join('; ')}` : '';
  }

  build(shape: InputShape, seed = 1): Feeds {
    const rnd = new SeededRandom(seed + hashLabel(shapeLabel(shape)));
    const feeds: Feeds = {};
    for (const [name, dims] of this.dimsFor(shape)) {
      const info = this.inputs.find((i) => i.name === name)!;
      feeds[name] = syntheticTensor(info, dims, rnd, this.options.inputs?.[info.name], this.tokenIdMax);
    }
    return feeds;
  }

  /** Spec `inputs` naming an input the model does not have (a typo would silently change nothing). */
  checkInputNames(): void {
    const names = new Set(this.inputs.map((i) => i.name));
    const unknown = Object.keys(this.options.inputs ?? {}).filter((n) => !names.has(n));
    if (unknown.length > 0) {
      throw new ModelShapeError(
        '(guessed)',
        `"inputs" names ${unknown.join(', ')}, not an input of ${this.modelLabel} (its inputs: ${[...names].join(', ')})`,
      );
    }
  }

  private checkTypes(label: string): void {
    for (const input of this.inputs) {
      if (!(SUPPORTED_TYPES as readonly string[]).includes(input.type)) {
        throw new ModelShapeError(
          label,
          `input ${input.name} of ${this.modelLabel} has type ${input.type}; warm-up supports ${SUPPORTED_TYPES.join(', ')}`,
        );
      }
    }
  }

  private sizesFor(d: DynamicDim): readonly number[] | undefined {
    const dims = this.options.dims ?? {};
    return dims[d.key] ?? (d.role ? (dims[d.role] ?? DEFAULT_ROLE_SIZES[d.role]) : undefined);
  }

  private unguessable(d: DynamicDim, label: string): never {
    const input = this.inputs.find((i) => i.name === d.input)!;
    throw new ModelShapeError(
      label,
      `input ${input.name} of ${this.modelLabel} has shape [${input.dims.map((x, i) => (isDynamic(x) ? this.keyOf(input, i) : x)).join(', ')}] (${input.type}): ` +
        `the size of dynamic axis ${d.axis} (${d.key}) cannot be guessed; give it in the warm-up spec: "dims": { ${JSON.stringify(d.key)}: [sizes] }`,
    );
  }
}

/** An exporter's placeholder for a dimension it did not name: empty, `unk__N`, `p2o.DynamicDimension.N`, `?`, `-1`. */
function isPlaceholderDim(d: number | string): boolean {
  return typeof d !== 'string' || d.length === 0 || /^(unk__\d+|p2o\.DynamicDimension\.\d+|\?|None|-1)$/.test(d);
}

function hashLabel(label: string): number {
  let h = 0;
  for (let i = 0; i < label.length; i++) h = (h * 31 + label.charCodeAt(i)) % 1_000_003;
  return h;
}
