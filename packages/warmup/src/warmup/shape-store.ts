import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { readShapeRecording } from './warm-target.js';
import { shapeKey, type RecordedShape, type ShapeRecording } from './shape-recorder.js';

/** Where recorded request shapes are kept between replicas: new replicas warm what production sends. */
export interface ShapeStore {
  /** Per-input dims of recorded shapes, most frequent first (empty when nothing was recorded yet). */
  load(): Promise<Array<Record<string, number[]>>>;
  /** Adds a recorder's snapshot to the store. */
  save(recording: ShapeRecording): Promise<void>;
}

/**
 * A JSON file (the `recordedShapesFile` format), written atomically; a missing file is an empty recording. A save
 * writes what `load()` read plus the recorder's counts (summed per shape, the `maxShapes` most frequent kept), so a
 * shape earlier replicas recorded is not lost because this one did not serve it. One writer at a time (a file shared
 * by replicas running at once keeps the last save; use the Redis store there).
 */
export class FileShapeStore implements ShapeStore {
  private loaded: RecordedShape[] = [];

  constructor(
    readonly file: string,
    private readonly maxShapes = 256,
  ) {}

  async load(): Promise<Array<Record<string, number[]>>> {
    let dims: Array<Record<string, number[]>>;
    try {
      dims = readShapeRecording(this.file); // validates the file
    } catch (e) {
      if ((e as { cause?: { code?: string } }).cause?.code === 'ENOENT') return [];
      throw e;
    }
    const raw = JSON.parse(readFileSync(this.file, 'utf8')) as {
      shapes: Array<{ dims: Record<string, number[]>; count?: unknown }>;
    };
    this.loaded = raw.shapes.slice(0, 1024).map((x) => ({
      dims: x.dims,
      count: typeof x.count === 'number' && Number.isFinite(x.count) && x.count > 0 ? x.count : 0,
    }));
    return dims;
  }

  async save(recording: ShapeRecording): Promise<void> {
    const merged = new Map<string, RecordedShape>();
    for (const s of [...this.loaded, ...recording.shapes]) {
      const k = shapeKey(s.dims);
      merged.set(k, { dims: s.dims, count: (merged.get(k)?.count ?? 0) + s.count });
    }
    const shapes = [...merged.values()].sort((a, b) => b.count - a.count).slice(0, this.maxShapes);
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ shapes, untracked: recording.untracked })}\n`);
    renameSync(tmp, this.file);
  }
}

/** The Redis commands the store uses (ioredis' `Redis` has them). */
export interface RedisHashClient {
  hincrby(key: string, field: string, increment: number): Promise<number>;
  hgetall(key: string): Promise<Record<string, string>>;
  hlen(key: string): Promise<number>;
  hexists(key: string, field: string): Promise<number>;
}

/**
 * Shapes in one Redis hash per model (`warmpool:shapes:{model}`): field = the per-input dims as
 * JSON, value = the count, summed over every replica that saves (each save adds only what its
 * recorder counted since its last save). At most `maxShapes` fields: a new shape beyond that is
 * not added.
 */
export class RedisShapeStore implements ShapeStore {
  private readonly key: string;
  private readonly saved = new Map<string, number>();

  constructor(
    private readonly redis: RedisHashClient,
    model: string,
    private readonly opts: { prefix?: string; maxShapes?: number } = {},
  ) {
    this.key = `${opts.prefix ?? 'warmpool:shapes'}:${model}`;
  }

  async load(): Promise<Array<Record<string, number[]>>> {
    const all = await this.redis.hgetall(this.key);
    const out: Array<{ dims: Record<string, number[]>; count: number }> = [];
    for (const [field, value] of Object.entries(all).slice(0, this.opts.maxShapes ?? 256)) {
      try {
        const dims = JSON.parse(field) as unknown;
        if (
          dims &&
          typeof dims === 'object' &&
          !Array.isArray(dims) &&
          Object.values(dims).every((d) => Array.isArray(d) && d.every((x) => Number.isInteger(x)))
        ) {
          out.push({ dims: dims as Record<string, number[]>, count: Number(value) || 0 });
        }
      } catch {
        // a field another writer put there that is not ours: skipped
      }
    }
    return out.sort((a, b) => b.count - a.count).map((x) => x.dims);
  }

  async save(recording: ShapeRecording): Promise<void> {
    const max = this.opts.maxShapes ?? 256;
    let size = await this.redis.hlen(this.key);
    for (const s of recording.shapes) {
      const k = shapeKey(s.dims);
      const delta = s.count - (this.saved.get(k) ?? 0);
      if (delta <= 0) continue;
      const field = JSON.stringify(
        Object.fromEntries(
          Object.keys(s.dims)
            .sort()
            .map((n) => [n, s.dims[n]]),
        ),
      );
      if (size >= max && !(await this.redis.hexists(this.key, field))) continue;
      if ((await this.redis.hincrby(this.key, field, delta)) === delta) size += 1;
      this.saved.set(k, s.count);
    }
  }
}
