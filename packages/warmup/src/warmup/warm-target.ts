import { readFileSync } from 'node:fs';
import { ValidationError } from '@warmpool/domain';
import { FeedBuilder, type Feeds, type ModelInputInfo } from '../session/feed-builder.js';
import { shapeElements, shapeLabel, type InputShape } from '../session/input-shape.js';
import { parseFeeds } from '../session/tensor-json.js';

/** One thing warm passes run: a label, the feeds, and a size to order by. */
export interface WarmTarget {
  readonly label: string;
  readonly feeds: Feeds;
  /** Elements of the inputs (to find the largest target). */
  readonly elements: number;
  readonly shape: InputShape | undefined;
}

/** Targets for representative shapes; throws ModelShapeError for a shape the model cannot take. */
export function shapeTargets(shapes: readonly InputShape[], inputs: readonly ModelInputInfo[], modelLabel: string, tokenIdMax: number): WarmTarget[] {
  const builder = new FeedBuilder(inputs, modelLabel, tokenIdMax);
  return shapes.map((shape) => ({ label: shapeLabel(shape), feeds: builder.build(shape), elements: shapeElements(shape), shape }));
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
    throw new ValidationError([{ path: '(file)', value: file, allowed: `a readable JSON file (${(e as Error).message})` }], file, { cause: e });
  }
  const list = (json as { inputs?: unknown } | null)?.inputs;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ValidationError([{ path: 'inputs', value: list, allowed: 'a non-empty array of {inputName: {dims, data}}' }], file);
  }
  return list.map((item, i) => {
    const feeds = parseFeeds(item, inputs, file, `inputs[${i}]`);
    const first = Object.values(feeds)[0]!;
    const elements = Object.values(feeds).reduce((a, t) => a + t.size, 0);
    return { label: `recorded[${i}] ${first.dims.join('x')}`, feeds, elements, shape: undefined };
  });
}
