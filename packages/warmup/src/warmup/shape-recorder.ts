import type { Feeds } from '../session/feed-builder.js';

/** Per-input dims of one request: `{ input_ids: [1, 12] }`. */
export type RequestDims = Readonly<Record<string, readonly number[]>>;

/** One recorded shape and how many served requests had it. */
export interface RecordedShape {
  readonly dims: Record<string, number[]>;
  readonly count: number;
}

/** What a ShapeRecorder writes (and `recordedShapesFile` reads): most frequent first. */
export interface ShapeRecording {
  readonly shapes: RecordedShape[];
  /** Requests whose shape was not kept because `maxShapes` shapes were already tracked. */
  readonly untracked: number;
}

/** Per-input dims of feeds (what a request's shape is). */
export function dimsOfFeeds(feeds: Feeds): Record<string, number[]> {
  return Object.fromEntries(Object.entries(feeds).map(([name, t]) => [name, [...t.dims]]));
}

/** A stable key of per-input dims (input names sorted). */
export function shapeKey(dims: RequestDims): string {
  return Object.keys(dims)
    .sort()
    .map((name) => `${name}:${dims[name]!.join('x')}`)
    .join(';');
}

/**
 * Records the shapes served requests have: a count per shape, at most `maxShapes` shapes (later
 * new shapes are counted as untracked, never stored: the map is keyed by client input and so is
 * bounded). Knows which shapes warm-up covered, and counts first-time shapes after ready (a shape
 * neither warmed nor served before) with their latency: the cost of an input size warm-up missed.
 */
export class ShapeRecorder {
  private readonly counts = new Map<string, { dims: Record<string, number[]>; count: number }>();
  private readonly warmed = new Set<string>();
  private untracked = 0;
  private firstTimeAfterReady = 0;
  /** Latency in seconds of each first-time shape after ready (at most maxShapes: each is a newly recorded shape). */
  private readonly firstTimeS: number[] = [];

  constructor(readonly maxShapes = 256) {
    if (!Number.isInteger(maxShapes) || maxShapes < 1)
      throw new RangeError(`maxShapes must be an integer >= 1, got ${maxShapes}`);
  }

  /** A shape warm-up ran (not a first-time shape when served). Bounded like the counts. */
  markWarmed(dims: RequestDims): void {
    if (this.warmed.size < this.maxShapes) this.warmed.add(shapeKey(dims));
  }

  /**
   * Counts one served request. `afterReady`: the replica was ready (warm-up done) when it ran.
   * Returns whether it was a first-time shape after ready. `warm`: a warm pass, which goes through
   * the same lookup (so that code is warm before the first request) and is not counted.
   */
  record(dims: RequestDims, latencyMs: number, afterReady: boolean, warm = false): boolean {
    const key = shapeKey(dims);
    const entry = this.counts.get(key);
    if (warm) return false;
    if (entry) {
      entry.count += 1;
      return false;
    }
    if (this.counts.size >= this.maxShapes) {
      this.untracked += 1;
      return false; // cannot tell a new shape from one seen before once full; counted as untracked
    }
    this.counts.set(key, { dims: Object.fromEntries(Object.entries(dims).map(([k, v]) => [k, [...v]])), count: 1 });
    const first = afterReady && !this.warmed.has(key);
    if (first) {
      this.firstTimeAfterReady += 1;
      if (Number.isFinite(latencyMs) && latencyMs >= 0) this.firstTimeS.push(latencyMs / 1000);
    }
    return first;
  }

  get trackedShapes(): number {
    return this.counts.size;
  }

  get firstTimeShapesAfterReady(): number {
    return this.firstTimeAfterReady;
  }

  /** Requests whose shape was not recorded because `maxShapes` shapes were already tracked. */
  get untrackedRequests(): number {
    return this.untracked;
  }

  /** Latency in seconds of each first-time shape after ready (for the metrics' histogram). */
  get firstTimeLatenciesS(): readonly number[] {
    return this.firstTimeS;
  }

  snapshot(): ShapeRecording {
    const shapes = [...this.counts.values()]
      .map((e) => ({ dims: e.dims, count: e.count }))
      .sort((a, b) => b.count - a.count);
    return { shapes, untracked: this.untracked };
  }
}
