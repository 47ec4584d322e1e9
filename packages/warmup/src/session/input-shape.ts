/**
 * A shape bucket: the size of each dynamic dimension, keyed by the dimension's name in the model
 * (`p2o.DynamicDimension.1`, `seq`), by the role warm-up guessed for it (`batch`, `seq`, `height`,
 * `width`, `channels`), or by `input[axis]` for an unnamed dynamic axis. `{ batch: 1, seq: 16 }`
 * is the bucket of a `[batch, seq]` token model.
 */
export type InputShape = Readonly<Record<string, number>>;

/** `1x16` for `{ batch: 1, seq: 16 }`: the sizes in key order. */
export function shapeLabel(s: InputShape): string {
  const values = Object.values(s);
  return values.length > 0 ? values.join('x') : 'fixed';
}

/** Product of the sizes: the "size" used to order buckets and find the largest. */
export function shapeElements(s: InputShape): number {
  return Object.values(s).reduce((a, b) => a * b, 1);
}

/** The shapes in their order with repeats (same keys and sizes in the same order) left out. */
export function dedupeShapes(shapes: readonly InputShape[]): InputShape[] {
  const seen = new Set<string>();
  return shapes.filter((s) => {
    const k = JSON.stringify(s);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
