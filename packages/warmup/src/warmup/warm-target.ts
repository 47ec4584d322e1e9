import { readFileSync } from 'node:fs';
import { ValidationError } from '@warmpool/domain';
import { FeedBuilder, type FeedOptions, type Feeds, type ModelInputInfo } from '../session/feed-builder.js';
import { shapeLabel, type InputShape } from '../session/input-shape.js';
import { parseFeeds } from '../session/tensor-json.js';
import type { WarmupSpec } from './warmup-spec.js';

/**
 * Where a target's inputs come from: `synthetic` (buckets guessed from the model), `spec` (buckets
 * from the spec's `shapes` / `dims`), `recorded` (a recorded-inputs file), `recorded-shape` (a
 * bucket served requests had, from a shape recording).
 */
export type WarmTargetKind = 'synthetic' | 'spec' | 'recorded' | 'recorded-shape';

/** One thing warm passes run: a label, the feeds, and a size to order by. */
export interface WarmTarget {
  readonly label: string;
  readonly feeds: Feeds;
  /** Elements of the inputs (to find the largest target). */
  readonly elements: number;
  /** The bucket (dynamic dimension sizes) for synthetic targets. */
  readonly shape: InputShape | undefined;
  readonly kind?: WarmTargetKind;
  /** Fresh feeds of the same shape (other values) for a seed; recorded targets give their own feeds. */
  readonly feedsFor?: (seed: number) => Feeds;
}

function elementsOf(feeds: Feeds): number {
  return Object.values(feeds).reduce((a, t) => a + t.size, 0);
}

/**
 * Targets for shape buckets; throws ModelShapeError for a bucket the model cannot take. `options`
 * (the spec's `dims` and `inputs`) fill what the buckets leave open.
 */
export function shapeTargets(
  shapes: readonly InputShape[],
  inputs: readonly ModelInputInfo[],
  modelLabel: string,
  tokenIdMax: number,
  options: FeedOptions = {},
  kind: WarmTargetKind = 'spec',
): WarmTarget[] {
  const builder = new FeedBuilder(inputs, modelLabel, tokenIdMax, options);
  return shapes.map((shape) => {
    const full = builder.resolve(shape);
    const feeds = builder.build(full);
    return {
      label: shapeLabel(full),
      feeds,
      elements: elementsOf(feeds),
      shape: full,
      kind,
      feedsFor: (seed: number) => builder.build(full, seed),
    };
  });
}

/**
 * Every target a spec asks for on a model: synthetic buckets (the spec's `shapes`, else the cross
 * product of `dims`, else guessed from the model; a dimension that cannot be guessed throws a
 * ModelShapeError naming the input, its shape and the spec key), the recorded inputs file, the
 * recorded shapes file and `recordedShapes` (e.g. from a shared store). Duplicate buckets once.
 */
export function buildWarmTargets(
  spec: WarmupSpec,
  inputs: readonly ModelInputInfo[],
  modelLabel: string,
  recordedShapes: ReadonlyArray<Readonly<Record<string, readonly number[]>>> = [],
): WarmTarget[] {
  const options: FeedOptions = { dims: spec.dims, inputs: spec.inputs, shapes: spec.shapes };
  const builder = new FeedBuilder(inputs, modelLabel, spec.tokenIdMax, options);
  const fromSpec = spec.shapes.length > 0 || Object.keys(spec.dims ?? {}).length > 0;
  const targets: WarmTarget[] = [];
  const seen = new Set<string>();
  const add = (shapes: InputShape[], kind: WarmTargetKind): void => {
    const fresh = shapes.filter((s) => {
      const k = JSON.stringify(builder.resolve(s));
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    targets.push(...shapeTargets(fresh, inputs, modelLabel, spec.tokenIdMax, options, kind));
  };
  builder.checkInputNames();
  // A spec with recorded inputs or shapes and no buckets of its own warms only what was recorded
  // (or, while the recording is still empty, what the model suggests).
  const recordedOnly = (spec.recordedInputsFile !== undefined || spec.recordedShapesFile !== undefined) && !fromSpec;
  if ((spec.syntheticInputs ?? true) && !recordedOnly) add(builder.buckets(), fromSpec ? 'spec' : 'synthetic');
  const recorded = [
    ...(spec.recordedShapesFile ? readShapeRecording(spec.recordedShapesFile, { missingIsEmpty: true }) : []),
    ...recordedShapes,
  ];
  add(
    recorded.flatMap((dims): InputShape[] => {
      const b = builder.bucketOf(dims);
      return b ? [b] : [];
    }),
    'recorded-shape',
  );
  if (spec.recordedInputsFile) targets.push(...recordedTargets(spec.recordedInputsFile, inputs));
  if (targets.length === 0 && recordedOnly) add(builder.buckets(), 'synthetic');
  return targets;
}

/**
 * Targets from a recorded-inputs file: `{ "inputs": [ { "<input>": { "dims": [...], "data": [...] } }, ... ] }`.
 * Errors name the file and the key path (`inputs[3].input_ids.data`).
 */
export function recordedTargets(file: string, inputs: readonly ModelInputInfo[]): WarmTarget[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ValidationError(
      [{ path: '(file)', value: file, allowed: `a readable JSON file (${(e as Error).message})` }],
      file,
      { cause: e },
    );
  }
  const list = (json as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ValidationError(
      [{ path: 'inputs', value: list, allowed: 'a non-empty array of {inputName: {dims, data}}' }],
      file,
    );
  }
  return list.map((item, i) => {
    const feeds = parseFeeds(item, inputs, file, `inputs[${i}]`);
    const first = Object.values(feeds)[0]!;
    return {
      label: `recorded[${i}] ${first.dims.join('x')}`,
      feeds,
      elements: elementsOf(feeds),
      shape: undefined,
      kind: 'recorded' as const,
    };
  });
}

/**
 * Reads the per-input dims of a shape recording (`{ "shapes": [ { "dims": { "<input>": [...] }, "count": n } ] }`,
 * as ShapeRecorder writes it), most frequent first. Errors name the file and the key path.
 */
export function readShapeRecording(
  file: string,
  opts: { missingIsEmpty?: boolean } = {},
): Array<Record<string, number[]>> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    // No recording yet (the first replica of a deployment): nothing recorded to warm.
    if (opts.missingIsEmpty && (e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new ValidationError(
      [{ path: '(file)', value: file, allowed: `a readable JSON shape recording (${(e as Error).message})` }],
      file,
      { cause: e },
    );
  }
  const list = (json as { shapes?: unknown } | null)?.shapes;
  if (!Array.isArray(list))
    throw new ValidationError(
      [{ path: 'shapes', value: list, allowed: 'an array of {dims: {input: [sizes]}, count}' }],
      file,
    );
  const out: Array<{ dims: Record<string, number[]>; count: number }> = [];
  list.slice(0, 1024).forEach((item, i) => {
    const dims = (item as { dims?: unknown } | null)?.dims;
    const count = (item as { count?: unknown } | null)?.count;
    const ok =
      dims !== null &&
      typeof dims === 'object' &&
      !Array.isArray(dims) &&
      Object.values(dims).every(
        (d) =>
          Array.isArray(d) && d.every((x) => Number.isInteger(x) && (x as number) >= 0 && (x as number) <= 1 << 24),
      );
    if (!ok)
      throw new ValidationError(
        [{ path: `shapes[${i}].dims`, value: dims, allowed: 'an object of input name to a list of sizes' }],
        file,
      );
    out.push({
      dims: dims as Record<string, number[]>,
      count: typeof count === 'number' && Number.isFinite(count) ? count : 0,
    });
  });
  return out.sort((a, b) => b.count - a.count).map((x) => x.dims);
}

/**
 * The largest size warmed on each axis of each input over the targets (per axis, so it bounds
 * every warmed tensor): e.g. to cap request sizes at a factor of what warm-up covered.
 */
export function largestWarmedDims(targets: readonly WarmTarget[]): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const t of targets) {
    for (const [name, tensor] of Object.entries(t.feeds)) {
      const prev = out[name];
      out[name] = tensor.dims.map((d, i) => Math.max(d, prev?.[i] ?? 0));
    }
  }
  return out;
}

/** Elements of the largest warmed tensor per input (the element count of `largestWarmedDims`). */
export function largestWarmedElements(targets: readonly WarmTarget[]): Record<string, number> {
  return Object.fromEntries(
    Object.entries(largestWarmedDims(targets)).map(([k, dims]) => [k, dims.reduce((a, b) => a * b, 1)]),
  );
}
