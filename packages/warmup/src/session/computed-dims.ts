import type { ModelInputInfo } from './model-input-info.js';

/** One term of a computed dimension: a named dimension or an integer, added or subtracted. */
export interface ComputedTerm {
  readonly sign: 1 | -1;
  readonly name?: string;
  readonly value?: number;
}

/**
 * A dimension the exporter wrote as a sum of other dimensions and integers, as Optimum names a
 * decoder's attention mask (`past_sequence_length + 1`, `past_sequence_length + sequence_length`):
 * not a free dimension, its size follows from the others.
 */
export interface ComputedDim {
  readonly expr: string;
  readonly terms: readonly ComputedTerm[];
}

const INTEGER = /^\d+$/;

/**
 * Every computed dimension of the inputs, by its expression. An expression counts as computed
 * only when it has an operator and each of its names is a dimension the inputs name on their own
 * (so `batch-size` or `p2o.DynamicDimension.0` stay plain names).
 */
export function findComputedDims(inputs: readonly ModelInputInfo[]): Map<string, ComputedDim> {
  const names = new Set(
    inputs.flatMap((i) => i.dims.filter((d): d is string => typeof d === 'string' && d.length > 0)),
  );
  const out = new Map<string, ComputedDim>();
  for (const expr of names) {
    const parsed = parseComputedDim(expr, names);
    if (parsed) out.set(expr, parsed);
  }
  return out;
}

/** `a + b - 1` as terms, or undefined when it is not a sum of known names and integers. */
export function parseComputedDim(expr: string, names: ReadonlySet<string>): ComputedDim | undefined {
  const parts = expr.split(/([+-])/).map((p) => p.trim());
  if (parts.length < 3) return undefined;
  const terms: ComputedTerm[] = [];
  let sign: 1 | -1 = 1;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i % 2 === 1) {
      sign = p === '-' ? -1 : 1;
      continue;
    }
    if (INTEGER.test(p)) terms.push({ sign, value: Number(p) });
    else if (p !== expr && names.has(p)) terms.push({ sign, name: p });
    else return undefined;
  }
  return terms.some((t) => t.name !== undefined) ? { expr, terms } : undefined;
}

/** The size of a computed dimension in a bucket (undefined when a named part is missing). */
export function evaluateComputedDim(c: ComputedDim, sizes: Readonly<Record<string, number>>): number | undefined {
  let total = 0;
  for (const t of c.terms) {
    const v = t.name !== undefined ? sizes[t.name] : t.value!;
    if (v === undefined) return undefined;
    total += t.sign * v;
  }
  return total;
}

/** The named dimensions a computed dimension is made of. */
export function computedParts(c: ComputedDim): string[] {
  return c.terms.flatMap((t) => (t.name !== undefined ? [t.name] : []));
}
