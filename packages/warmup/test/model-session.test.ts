import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from '../src/errors/model-load-error.js';
import { ModelShapeError } from '../src/errors/model-shape-error.js';
import { TEST_MODELS, ensureTestModel } from '../src/models/test-model-catalog.js';
import { buildTransformerBlock, transformerWeightBytes } from '../src/models/transformer-block-model.js';
import { FeedBuilder, describeInputs } from '../src/session/feed-builder.js';
import { ModelSessionFactory } from '../src/session/model-session-factory.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-session-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('generated test models', () => {
  it('are deterministic and several MB for the small model', () => {
    const a = buildTransformerBlock(TEST_MODELS['tiny-transformer']!);
    const b = buildTransformerBlock(TEST_MODELS['tiny-transformer']!);
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
    expect(transformerWeightBytes(TEST_MODELS['small-transformer']!)).toBeGreaterThan(5e6);
  });

  it('load and run on CPU with dynamic batch and seq', async () => {
    const file = ensureTestModel('tiny-transformer');
    const loaded = await new ModelSessionFactory({ executionProviders: ['cpu'] }).create(file);
    try {
      expect(loaded.executionProvider).toBe('cpu');
      const inputs = describeInputs(loaded.session);
      expect(inputs).toEqual([{ name: 'input_ids', type: 'int64', dims: ['batch', 'seq'] }]);
      const feeds = new FeedBuilder(inputs, file);
      for (const shape of [
        { batch: 1, seq: 8 },
        { batch: 3, seq: 17 },
      ]) {
        const out = await loaded.session.run(feeds.build(shape));
        expect(out['last_hidden_state']!.dims).toEqual([shape.batch, shape.seq, 128]);
        const data = out['last_hidden_state']!.data as Float32Array;
        expect(data.every((v) => Number.isFinite(v))).toBe(true);
      }
    } finally {
      await loaded.session.release();
    }
  });
});

describe('ModelSessionFactory', () => {
  it('falls back from CUDA where it is missing and reports the provider used', async () => {
    const loaded = await new ModelSessionFactory({ executionProviders: ['cuda', 'cpu'] }).create(
      ensureTestModel('tiny-transformer'),
    );
    try {
      // On a GPU box with the CUDA provider installed this is 'cuda' and no fallback.
      if (loaded.executionProvider === 'cpu') {
        expect(loaded.fallbacks.map((f) => f.provider)).toEqual(['cuda']);
        expect(loaded.fallbacks[0]!.error.length).toBeGreaterThan(0);
      } else {
        expect(loaded.executionProvider).toBe('cuda');
      }
    } finally {
      await loaded.session.release();
    }
  });

  it('caches the optimized model so the next start skips optimization', async () => {
    const cacheDir = join(dir, 'opt');
    const factory = new ModelSessionFactory({ executionProviders: ['cpu'], optimizedModelCacheDir: cacheDir });
    const first = await factory.create(ensureTestModel('tiny-transformer'));
    await first.session.release();
    expect(first.optimizedCacheHit).toBe(false);
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.opt.onnx'))).toHaveLength(1);
    const second = await factory.create(ensureTestModel('tiny-transformer'));
    try {
      expect(second.optimizedCacheHit).toBe(true);
      const out = await second.session.run(
        new FeedBuilder(describeInputs(second.session), 'm').build({ batch: 1, seq: 4 }),
      );
      expect(out['last_hidden_state']!.dims).toEqual([1, 4, 128]);
    } finally {
      await second.session.release();
    }
  });

  it('names a missing model file', async () => {
    const missing = join(dir, 'nope.onnx');
    const err = await new ModelSessionFactory({ executionProviders: ['cpu'] }).create(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).code).toBe('E_MODEL_MISSING');
    expect((err as ModelLoadError).message).toContain(missing);
  });

  it('names a corrupt model file', async () => {
    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, Buffer.from('this is not a protobuf model at all \x00\x01\x02'));
    const err = await new ModelSessionFactory({ executionProviders: ['cuda', 'cpu'] })
      .create(corrupt)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelLoadError);
    expect((err as ModelLoadError).code).toBe('E_MODEL_CORRUPT');
    expect((err as ModelLoadError).message).toContain(corrupt);
    const truncated = join(dir, 'truncated.onnx');
    writeFileSync(truncated, readFileSync(ensureTestModel('tiny-transformer')).subarray(0, 300_000));
    const err3 = await new ModelSessionFactory({ executionProviders: ['cpu'] })
      .create(truncated)
      .catch((e: unknown) => e);
    expect(err3).toMatchObject({ code: 'E_MODEL_CORRUPT', file: truncated });
    const empty = join(dir, 'empty.onnx');
    writeFileSync(empty, '');
    const err2 = await new ModelSessionFactory({ executionProviders: ['cpu'] }).create(empty).catch((e: unknown) => e);
    expect((err2 as ModelLoadError).code).toBe('E_MODEL_CORRUPT');
  });
});

describe('FeedBuilder shapes', () => {
  it('rejects a shape a fixed-size input cannot take, naming the shape and input', () => {
    const fb = new FeedBuilder([{ name: 'input_ids', type: 'int64', dims: [1, 128] }], 'fixed.onnx');
    expect(fb.dimsFor({ batch: 1, seq: 128 }).get('input_ids')).toEqual([1, 128]);
    const err = (() => {
      try {
        fb.dimsFor({ batch: 4, seq: 128 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ModelShapeError);
    expect((err as ModelShapeError).message).toMatch(
      /shape 4x128: input input_ids of fixed\.onnx has fixed shape \[1, 128\]/,
    );
  });

  it('rejects non-positive shapes and unsupported input types', () => {
    const fb = new FeedBuilder([{ name: 'x', type: 'int64', dims: ['b', 's'] }], 'm');
    expect(() => fb.dimsFor({ batch: 0, seq: 4 })).toThrow(/shape 0x4/);
    const str = new FeedBuilder([{ name: 'x', type: 'string', dims: ['b', 's'] }], 'm');
    expect(() => str.dimsFor({ batch: 1, seq: 4 })).toThrow(ModelShapeError);
    const extra = new FeedBuilder([{ name: 'x', type: 'float32', dims: ['b', 's', 'h'] }], 'm');
    expect(() => extra.dimsFor({ batch: 1 })).toThrow(
      /input x of m has shape \[b, s, h\] \(float32\): the size of dynamic axis 1 \(s\) cannot be guessed; give it in the warm-up spec: "dims": \{ "s": \[sizes\] \}/,
    );
    expect(() => extra.dimsFor({ batch: 1, seq: 4 })).toThrow(
      /seq is not a dimension of m \(its dynamic dimensions: b \(batch\), s, h\)/,
    );
  });
});
