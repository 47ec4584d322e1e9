import { describe, expect, it } from 'vitest';
import { ensureTestModel } from '../src/models/test-model-catalog.js';
import { ModelReplica, type InferOptions } from '../src/replica/model-replica.js';
import type { Feeds } from '../src/session/feed-builder.js';
import { ShapeRecorder, type RequestDims } from '../src/warmup/shape-recorder.js';
import { WARMUP_SPEC_DEFAULTS, type WarmupSpec } from '../src/warmup/warmup-spec.js';

// Warm passes must run the code served requests run: before, they skipped infer() (the limit check), the shape
// recorder and the minServiceMs tail, so a recurrent model's first served requests ran code warm-up never had
// (tiny-vad: first-10 p50 1.39 x steady in-session on a quiet machine).

const spec = (over: Partial<WarmupSpec> = {}): WarmupSpec => ({
  ...WARMUP_SPEC_DEFAULTS,
  windowSize: 3,
  tolerance: 0.5,
  concurrencyRounds: 2,
  minPasses: 30,
  keepWarmIdleMs: 0,
  ...over,
});

/** Wraps (passes through) the replica's infer and its recorder's record, counting what warm passes called. */
function watch(replica: ModelReplica): { infer: InferOptions[]; record: boolean[]; limitsSeen: boolean[] } {
  const seen = { infer: [] as InferOptions[], record: [] as boolean[], limitsSeen: [] as boolean[] };
  const infer = replica.infer.bind(replica);
  replica.infer = (feeds: Feeds, options: InferOptions = {}) => {
    seen.infer.push(options);
    seen.limitsSeen.push(replica.inputLimits !== undefined);
    return infer(feeds, options);
  };
  const record = replica.shapes.record.bind(replica.shapes);
  replica.shapes.record = (dims: RequestDims, ms: number, afterReady: boolean, warm?: boolean) => {
    seen.record.push(warm === true);
    return record(dims, ms, afterReady, warm);
  };
  return seen;
}

describe('warm passes take the served path', () => {
  it.each([
    // the recurrent model with state tensors and a rank-0 int64 sample rate, and a plain classifier
    { model: 'tiny-vad' as const, spec: { dims: { samples: [512] } } },
    { model: 'tiny-classifier' as const, spec: {} },
  ])('$model: every warm pass enters through infer (limits set), reaches the recorder, counts nothing', async (c) => {
    const replica = new ModelReplica({
      name: c.model,
      modelPath: ensureTestModel(c.model),
      session: { executionProviders: ['cpu'] },
      spec: spec(c.spec),
    });
    const seen = watch(replica);
    try {
      const status = await replica.start();
      expect(status.phase).toBe('ready');
      const passes = status.warmup!.totalPasses;
      expect(passes).toBeGreaterThanOrEqual(30);
      expect(seen.infer).toHaveLength(passes);
      expect(seen.infer.every((o) => o.warm === true)).toBe(true);
      expect(seen.limitsSeen.every(Boolean)).toBe(true);
      expect(seen.record).toHaveLength(passes);
      expect(seen.record.every(Boolean)).toBe(true);
      expect(replica.shapes.trackedShapes).toBe(0); // warm passes are not request shapes

      const t = replica.warmTargets[0]!;
      await replica.infer(t.feedsFor!(1));
      expect(seen.record.at(-1)).toBe(false);
      expect(replica.shapes.trackedShapes).toBe(1);
      expect(replica.shapes.firstTimeShapesAfterReady).toBe(0); // a warmed shape
    } finally {
      await replica.close();
    }
  });

  it('warms the largest shape with a limit factor under 1, and refuses it when served', async () => {
    const replica = new ModelReplica({
      name: 'vad',
      modelPath: ensureTestModel('tiny-vad'),
      session: { executionProviders: ['cpu'] },
      spec: spec({ dims: { samples: [512] } }),
      inputLimitFactor: 0.5,
    });
    try {
      const status = await replica.start();
      expect(status.phase).toBe('ready');
      expect(status.warmup!.shapes.map((s) => s.label)).toEqual(['1x512']);
      await expect(replica.infer(replica.warmTargets[0]!.feeds)).rejects.toMatchObject({
        code: 'E_INPUT_TOO_LARGE',
        message: expect.stringMatching(/input input \[1, 512\] has 512 elements; model vad accepts at most 256/),
      });
    } finally {
      await replica.close();
    }
  });
});

describe('ShapeRecorder.record of a warm pass', () => {
  const warmed = { x: [1, 8] };
  it.each([
    { case: 'a new shape before ready', dims: { x: [1, 9] }, afterReady: false },
    { case: 'a new shape after ready (not a first-time shape)', dims: { x: [1, 9] }, afterReady: true },
    { case: 'a warmed shape', dims: warmed, afterReady: true },
    { case: 'a shape served before', dims: { x: [2, 4] }, afterReady: true },
    { case: 'a new shape once the map is full (not untracked)', dims: { x: [3, 3] }, afterReady: true },
  ])('counts nothing: $case', ({ dims, afterReady }) => {
    const r = new ShapeRecorder(2);
    r.markWarmed(warmed);
    r.record({ x: [2, 4] }, 1, true);
    if (dims.x[0] === 3) r.record({ x: [5, 5] }, 1, true); // fills the map
    const before = r.snapshot();
    const firstTime = r.firstTimeShapesAfterReady;
    expect(r.record(dims, 3, afterReady, true)).toBe(false);
    expect(r.snapshot()).toEqual(before);
    expect(r.firstTimeShapesAfterReady).toBe(firstTime);
    expect(r.firstTimeLatenciesS).toHaveLength(firstTime);
  });
});
