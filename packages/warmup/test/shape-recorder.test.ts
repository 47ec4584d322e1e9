import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTestModel } from '../src/models/test-model-catalog.js';
import { ModelReplica } from '../src/replica/model-replica.js';
import { FeedBuilder } from '../src/session/feed-builder.js';
import { ShapeRecorder } from '../src/warmup/shape-recorder.js';
import { FileShapeStore, RedisShapeStore } from '../src/warmup/shape-store.js';
import { ShapeRecordingSync } from '../src/warmup/shape-recording-sync.js';
import { WARMUP_SPEC_DEFAULTS, type WarmupSpec } from '../src/warmup/warmup-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-shapes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (over: Partial<WarmupSpec> = {}): WarmupSpec => ({
  ...WARMUP_SPEC_DEFAULTS,
  windowSize: 2,
  tolerance: 0.5,
  concurrencyRounds: 0,
  keepWarmIdleMs: 0,
  ...over,
});

describe('ShapeRecorder', () => {
  it('counts shapes, bounded, and counts first-time shapes after ready that warm-up did not cover', () => {
    const r = new ShapeRecorder(2);
    r.markWarmed({ x: [1, 8] });
    expect(r.record({ x: [1, 8] }, 1, true)).toBe(false); // warmed
    expect(r.record({ x: [1, 9] }, 5, false)).toBe(false); // before ready
    expect(r.record({ x: [1, 9] }, 1, true)).toBe(false); // seen before
    expect(r.record({ x: [1, 10] }, 7, true)).toBe(false); // map full: untracked, not stored
    expect(r.snapshot()).toEqual({
      shapes: [
        { dims: { x: [1, 9] }, count: 2 },
        { dims: { x: [1, 8] }, count: 1 },
      ],
      untracked: 1,
    });
    const fresh = new ShapeRecorder();
    expect(fresh.record({ b: [2], a: [1, 3] }, 4, true)).toBe(true);
    expect(fresh.record({ a: [1, 3], b: [2] }, 4, true)).toBe(false); // same shape, inputs in another order
    expect(fresh.firstTimeShapesAfterReady).toBe(1);
    expect(fresh.trackedShapes).toBe(1);
    expect(fresh.firstTimeLatenciesS).toEqual([0.004]);
    expect(fresh.untrackedRequests).toBe(0);
  });
});

describe('a replica records served shapes and a new replica starts from the recording', () => {
  it('file: first-time shapes are counted, saved, and warmed by the next replica', async () => {
    const model = ensureTestModel('tiny-transformer');
    const a = new ModelReplica({
      name: 'm',
      modelPath: model,
      session: { executionProviders: ['cpu'] },
      spec: spec({ shapes: [{ batch: 1, seq: 8 }] }),
    });
    const store = new FileShapeStore(join(dir, 'sub', 'shapes.json'));
    expect(await store.load()).toEqual([]);
    try {
      expect((await a.start()).phase).toBe('ready');
      const fb = new FeedBuilder(a.inputs, 'm');
      await a.infer(fb.build({ batch: 1, seq: 8 }));
      for (let i = 0; i < 3; i++) await a.infer(fb.build({ batch: 1, seq: 24 }, i));
      expect(a.shapes.firstTimeShapesAfterReady).toBe(1);
      await store.save(a.shapes.snapshot());
    } finally {
      await a.close();
    }
    expect(await store.load()).toEqual([{ input_ids: [1, 24] }, { input_ids: [1, 8] }]);

    const b = new ModelReplica({
      name: 'm',
      modelPath: model,
      session: { executionProviders: ['cpu'] },
      spec: spec({ shapes: [{ batch: 1, seq: 8 }], recordedShapesFile: store.file }),
    });
    try {
      const st = await b.start();
      expect(st.phase).toBe('ready');
      expect(st.warmup!.shapes.map((s) => s.label)).toEqual(['1x8', '1x24']);
      await b.infer(new FeedBuilder(b.inputs, 'm').build({ batch: 1, seq: 24 }));
      expect(b.shapes.firstTimeShapesAfterReady).toBe(0);
    } finally {
      await b.close();
    }
  });

  it('Redis: replicas add their counts to one bounded hash per model', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true, maxRetriesPerRequest: 1 });
    const prefix = `warmpool-test:shapes:${process.pid}:${Date.now()}`;
    try {
      await redis.connect();
      const one = new RedisShapeStore(redis, 'm', { prefix, maxShapes: 2 });
      const two = new RedisShapeStore(redis, 'm', { prefix, maxShapes: 2 });
      const r1 = new ShapeRecorder();
      r1.record({ x: [1, 8] }, 1, true);
      r1.record({ x: [1, 8] }, 1, true);
      await one.save(r1.snapshot());
      r1.record({ x: [1, 8] }, 1, true);
      await one.save(r1.snapshot()); // adds only the one request since the last save
      const r2 = new ShapeRecorder();
      for (let i = 0; i < 5; i++) r2.record({ x: [1, 64] }, 1, true);
      r2.record({ x: [4, 64] }, 1, true); // a third shape: beyond maxShapes, not added
      await two.save(r2.snapshot());
      expect(await redis.hgetall(`${prefix}:m`)).toEqual({ '{"x":[1,64]}': '5', '{"x":[1,8]}': '3' });
      expect(await new RedisShapeStore(redis, 'm', { prefix }).load()).toEqual([{ x: [1, 64] }, { x: [1, 8] }]);
    } finally {
      await redis.del(`${prefix}:m`).catch(() => 0);
      redis.disconnect();
    }
  });
});

describe('ShapeRecordingSync', () => {
  it('saves on flush and on stop, reports a failing store and goes on', async () => {
    const saved: number[] = [];
    const errors: unknown[] = [];
    let fail = true;
    const recorder = new ShapeRecorder();
    const sync = new ShapeRecordingSync({
      recorder,
      store: {
        load: async () => [],
        save: async (r) => {
          if (fail) throw new Error('store down');
          saved.push(r.shapes.length);
        },
      },
      intervalMs: 60_000,
      onError: (e) => errors.push(e),
    });
    sync.start();
    recorder.record({ x: [1] }, 1, true);
    await sync.flush();
    expect(errors).toHaveLength(1);
    fail = false;
    recorder.record({ x: [2] }, 1, true);
    await sync.stop();
    expect(saved).toEqual([2]);
  });
});
