import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_MODELS, ensureTestModel } from '../src/models/test-model-catalog.js';
import { buildTransformerBlock } from '../src/models/transformer-block-model.js';
import { ConcurrencyLimiter } from '../src/replica/concurrency-limiter.js';
import { ModelReplica } from '../src/replica/model-replica.js';
import { FeedBuilder } from '../src/session/feed-builder.js';
import { WARMUP_SPEC_DEFAULTS, type WarmupSpec } from '../src/warmup/warmup-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-replica-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const spec = (over: Partial<WarmupSpec> = {}): WarmupSpec => ({
  ...WARMUP_SPEC_DEFAULTS,
  shapes: [
    { batch: 1, seq: 8 },
    { batch: 2, seq: 16 },
  ],
  windowSize: 5,
  // Loose enough that a shared 2-core box converges quickly; the logic is tested with tables elsewhere.
  tolerance: 0.5,
  budgetMs: 20_000,
  keepWarmIdleMs: 0,
  ...over,
});

describe('ModelReplica on the real ONNX Runtime (CPU)', () => {
  it('loads, warms every shape until converged, checks headroom, becomes ready and serves', async () => {
    const replica = new ModelReplica({
      name: 'tiny',
      modelPath: ensureTestModel('tiny-transformer'),
      session: { executionProviders: ['cpu'] },
      spec: spec(),
    });
    try {
      expect(replica.ready).toBe(false);
      const status = await replica.start();
      expect(status.phase).toBe('ready');
      expect(status.load?.executionProvider).toBe('cpu');
      const report = status.warmup!;
      expect(report.converged).toBe(true);
      expect(report.shapes.map((s) => s.label)).toEqual(['1x8', '2x16']);
      for (const s of report.shapes) {
        expect(s.passes).toBeGreaterThanOrEqual(10);
        expect(s.steadyP50Ms).toBeGreaterThan(0);
        expect(s.firstPassMs).toBeGreaterThan(0);
      }
      expect(report.concurrency?.level).toBe(2);
      expect(report.memory.ok).toBe(true);
      expect(report.memory.peakRssBytes).toBeGreaterThan(10 * 2 ** 20);
      const { outputs } = await replica.infer(new FeedBuilder(replica.inputs, 'm').build({ batch: 1, seq: 3 }));
      expect(outputs['last_hidden_state']!.dims).toEqual([1, 3, 128]);
    } finally {
      await replica.close();
    }
  });

  it('holds each served inference at least minServiceMs (accelerator stand-in), one slot at a time', async () => {
    const replica = new ModelReplica({
      name: 'tiny',
      modelPath: ensureTestModel('tiny-transformer'),
      session: { executionProviders: ['cpu'] },
      spec: spec({ shapes: [{ batch: 1, seq: 4 }] }),
      minServiceMs: 60,
    });
    try {
      expect((await replica.start()).phase).toBe('ready');
      const feeds = new FeedBuilder(replica.inputs, 'm').build({ batch: 1, seq: 4 });
      const t0 = Date.now();
      const answers = await Promise.all([1, 2, 3].map(() => replica.infer(feeds)));
      // one slot: three inferences in a row, each padded to 60 ms (a lower bound: the padding is a timer)
      expect(Date.now() - t0).toBeGreaterThanOrEqual(3 * 60 - 5);
      for (const a of answers) expect(a.latencyMs).toBeGreaterThanOrEqual(59);
    } finally {
      await replica.close();
    }
  });

  it('is not ready (with the reason) when the memory limit leaves no headroom', async () => {
    const replica = new ModelReplica({
      name: 'tiny',
      modelPath: ensureTestModel('tiny-transformer'),
      session: { executionProviders: ['cpu'] },
      spec: spec({ memoryLimitBytes: 64 * 2 ** 20, shapes: [{ batch: 1, seq: 4 }] }),
    });
    try {
      const status = await replica.start();
      expect(status.phase).toBe('not-ready');
      expect(status.reason).toMatch(/peak RSS \d+ MiB is [\d.]+ % of the 64 MiB limit \(configured\)/);
      expect(replica.ready).toBe(false);
    } finally {
      await replica.close();
    }
  });

  it('fails with the file named for a missing model, and with the shape named for a shape the model cannot take', async () => {
    const missing = new ModelReplica({
      name: 'm',
      modelPath: join(dir, 'missing.onnx'),
      session: { executionProviders: ['cpu'] },
      spec: spec(),
    });
    const s1 = await missing.start();
    expect(s1).toMatchObject({ phase: 'failed', errorCode: 'E_MODEL_MISSING' });
    expect(s1.reason).toContain('missing.onnx');

    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, 'garbage');
    const s2 = await new ModelReplica({
      name: 'm',
      modelPath: corrupt,
      session: { executionProviders: ['cpu'] },
      spec: spec(),
    }).start();
    expect(s2).toMatchObject({ phase: 'failed', errorCode: 'E_MODEL_CORRUPT' });

    // tiny-transformer token ids must be < 2048: a recorded input with id 5000 fails in the warm pass.
    const recorded = join(dir, 'recorded.json');
    writeFileSync(recorded, JSON.stringify({ inputs: [{ input_ids: { dims: [1, 2], data: [1, 5000] } }] }));
    const bad = new ModelReplica({
      name: 'm',
      modelPath: ensureTestModel('tiny-transformer'),
      session: { executionProviders: ['cpu'] },
      spec: spec({ shapes: [], recordedInputsFile: recorded }),
    });
    const s3 = await bad.start();
    await bad.close();
    expect(s3).toMatchObject({ phase: 'failed', errorCode: 'E_WARMUP_RUN' });
    expect(s3.reason).toMatch(/warm pass on recorded\[0\] 1x2 failed/);

    const badFile = join(dir, 'recorded-bad.json');
    writeFileSync(badFile, JSON.stringify({ inputs: [{ input_ids: { dims: [1, 3], data: [1, 2] } }] }));
    const bad2 = new ModelReplica({
      name: 'm',
      modelPath: ensureTestModel('tiny-transformer'),
      session: { executionProviders: ['cpu'] },
      spec: spec({ recordedInputsFile: badFile }),
    });
    const s4 = await bad2.start();
    await bad2.close();
    expect(s4).toMatchObject({ phase: 'failed', errorCode: 'E_VALIDATION' });
    expect(s4.reason).toContain('recorded-bad.json');
    expect(s4.reason).toContain('inputs[0].input_ids.data');
  });

  it('names the spec shape a fixed-shape model cannot take', async () => {
    const fixed = join(dir, 'fixed-1x16.onnx');
    writeFileSync(fixed, buildTransformerBlock({ ...TEST_MODELS['tiny-transformer']!, fixedInputDims: [1, 16] }));
    const r = new ModelReplica({
      name: 'm',
      modelPath: fixed,
      session: { executionProviders: ['cpu'] },
      spec: spec({
        shapes: [
          { batch: 1, seq: 16 },
          { batch: 4, seq: 64 },
        ],
      }),
    });
    const s = await r.start();
    await r.close();
    expect(s).toMatchObject({ phase: 'failed', errorCode: 'E_MODEL_SHAPE' });
    expect(s.reason).toMatch(
      /^shape 4x64: input input_ids of .*fixed-1x16\.onnx has fixed shape \[1, 16\]: axis 0 is 1, the spec asks for 4$/,
    );
  });

  it('keeps itself warm with light passes when idle', async () => {
    const r = new ModelReplica({
      name: 'm',
      modelPath: ensureTestModel('tiny-transformer'),
      session: { executionProviders: ['cpu'] },
      spec: spec({ shapes: [{ batch: 1, seq: 4 }], keepWarmIdleMs: 40 }),
    });
    try {
      expect((await r.start()).phase).toBe('ready');
      const deadline = Date.now() + 5_000;
      while (r.status().keepWarmPasses < 2 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
      expect(r.status().keepWarmPasses).toBeGreaterThanOrEqual(2);
    } finally {
      await r.close();
    }
  });

  it('warms recorded inputs from a file', async () => {
    const recorded = join(dir, 'recorded-ok.json');
    writeFileSync(
      recorded,
      JSON.stringify({
        inputs: [
          { input_ids: { dims: [1, 4], data: [1, 2, 3, 4] } },
          { input_ids: { dims: [2, 2], data: [5, 6, 7, 8] } },
        ],
      }),
    );
    const r = new ModelReplica({
      name: 'm',
      modelPath: ensureTestModel('tiny-transformer'),
      session: { executionProviders: ['cpu'] },
      spec: spec({ shapes: [], recordedInputsFile: recorded }),
    });
    const s = await r.start();
    await r.close();
    expect(s.phase).toBe('ready');
    expect(s.warmup!.shapes.map((x) => x.label).sort()).toEqual(['recorded[0] 1x4', 'recorded[1] 2x2']);
  });
});

describe('ConcurrencyLimiter', () => {
  it('runs one at a time, queues, and rejects beyond the queue', async () => {
    const lim = new ConcurrencyLimiter(1, 1);
    const order: string[] = [];
    let release!: () => void;
    const first = lim.run(
      () =>
        new Promise<void>((r) => {
          release = () => {
            order.push('a');
            r();
          };
        }),
    );
    const second = lim.run(async () => void order.push('b'));
    await expect(lim.run(async () => 'c')).rejects.toMatchObject({ code: 'E_OVERLOADED' });
    expect(lim.running).toBe(1);
    expect(lim.queued).toBe(1);
    release();
    await Promise.all([first, second]);
    expect(order).toEqual(['a', 'b']);
    expect(lim.running).toBe(0);
    await lim.idle();
  });
});
