import { ValidationError, type SeededRandom } from '@warmpool/domain';

/** One request size: `input_ids` of [batch, seq]. */
export interface RequestShape {
  readonly batch: number;
  readonly seq: number;
}

export function shapeLabel(s: RequestShape): string {
  return `${s.batch}x${s.seq}`;
}

/** Parses `1x8,2x16` (batch x seq). */
export function parseShapes(text: string, source = 'shapes'): RequestShape[] {
  const items = text
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const shapes: RequestShape[] = [];
  const issues = [];
  for (const item of items) {
    const m = /^(\d+)x(\d+)$/.exec(item);
    const batch = m ? Number(m[1]) : NaN;
    const seq = m ? Number(m[2]) : NaN;
    if (!m || batch < 1 || batch > 1024 || seq < 1 || seq > 65_536)
      issues.push({
        path: source,
        value: item,
        allowed: 'BATCHxSEQ with batch in [1, 1024] and seq in [1, 65536], e.g. 1x8,2x16',
      });
    else shapes.push({ batch, seq });
  }
  if (items.length === 0)
    issues.push({ path: source, value: text, allowed: 'a comma-separated list of BATCHxSEQ, e.g. 1x8,2x16' });
  if (issues.length > 0) throw new ValidationError(issues, 'request shapes');
  return shapes;
}

/** The model server's JSON body for one request of this shape, token ids drawn from `rng`. */
export function requestBody(shape: RequestShape, rng: SeededRandom, tokenIdMax: number): string {
  const n = shape.batch * shape.seq;
  const data = new Array<number>(n);
  for (let i = 0; i < n; i++) data[i] = 1 + rng.int(tokenIdMax - 1);
  return JSON.stringify({ inputs: { input_ids: { dims: [shape.batch, shape.seq], data } } });
}
