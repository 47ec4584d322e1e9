import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelShapeError } from '../src/errors/model-shape-error.js';
import { ensureTestModel } from '../src/models/test-model-catalog.js';
import { FeedBuilder, describeInputs, toHalfBits, type ModelInputInfo } from '../src/session/feed-builder.js';
import { buildWarmTargets, largestWarmedDims, readShapeRecording } from '../src/warmup/warm-target.js';
import { WARMUP_SPEC_DEFAULTS, loadWarmupSpec, parseWarmupSpec } from '../src/warmup/warmup-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-feeds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withSession<T>(name: string, f: (s: ort.InferenceSession) => Promise<T>): Promise<T> {
  const s = await ort.InferenceSession.create(ensureTestModel(name), {
    executionProviders: ['cpu'],
    intraOpNumThreads: 1,
    logSeverityLevel: 3,
  });
  try {
    return await f(s);
  } finally {
    await s.release();
  }
}

function caught(f: () => unknown): Error | undefined {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return undefined;
}

describe('inputs from the model: the four kinds of test model', () => {
  it('a [batch, seq] token model warms 1x16, 1x64, 4x64 with no spec', async () => {
    await withSession('tiny-transformer', async (s) => {
      const targets = buildWarmTargets(WARMUP_SPEC_DEFAULTS, describeInputs(s), 'tiny');
      expect(targets.map((t) => [t.label, t.kind])).toEqual([
        ['1x16', 'synthetic'],
        ['1x64', 'synthetic'],
        ['4x64', 'synthetic'],
      ]);
      for (const t of targets) await s.run(t.feeds);
      const ids = targets[0]!.feeds['input_ids']!;
      expect(ids.type).toBe('int64');
      expect([...(ids.data as BigInt64Array)].every((v) => v >= 0n && v < 1000n)).toBe(true);
    });
  });

  it('an [N, 3, H, W] image model with paddle2onnx dimension names warms 1x224x224 with no spec, and the spec buckets by role', async () => {
    await withSession('tiny-convnet', async (s) => {
      const inputs = describeInputs(s);
      expect(inputs[0]!.dims).toEqual([
        'p2o.DynamicDimension.0',
        3,
        'p2o.DynamicDimension.1',
        'p2o.DynamicDimension.2',
      ]);
      const auto = buildWarmTargets(WARMUP_SPEC_DEFAULTS, inputs, 'convnet');
      expect(auto.map((t) => t.label)).toEqual(['1x224x224']);
      expect(auto[0]!.feeds['x']!.dims).toEqual([1, 3, 224, 224]);
      await s.run(auto[0]!.feeds);
      const spec = parseWarmupSpec({ dims: { height: [320, 640], width: { min: 320, max: 640, step: 320 } } });
      const buckets = buildWarmTargets(spec, inputs, 'convnet');
      expect(buckets.map((t) => [t.label, t.kind])).toEqual([
        ['1x320x320', 'spec'],
        ['1x320x640', 'spec'],
        ['1x640x320', 'spec'],
        ['1x640x640', 'spec'],
      ]);
      const paired = buildWarmTargets(
        parseWarmupSpec({
          shapes: [
            { height: 480, width: 640 },
            { 'p2o.DynamicDimension.1': 736, width: 1280 },
          ],
        }),
        inputs,
        'convnet',
      );
      expect(paired.map((t) => t.feeds['x']!.dims)).toEqual([
        [1, 3, 480, 640],
        [1, 3, 736, 1280],
      ]);
      expect(largestWarmedDims(paired)).toEqual({ x: [1, 3, 736, 1280] });
    });
  });

  it('a recurrent model: state tensors zeros, the rank-0 sample rate 16000; the audio length needs one spec line and the error says which', async () => {
    await withSession('tiny-vad', async (s) => {
      const inputs = describeInputs(s);
      const err = caught(() => buildWarmTargets(WARMUP_SPEC_DEFAULTS, inputs, 'vad.onnx'));
      expect(err).toBeInstanceOf(ModelShapeError);
      expect(err!.message).toBe(
        'shape (guessed): input input of vad.onnx has shape [batch, samples] (float32): the size of dynamic axis 1 (samples) cannot be guessed; give it in the warm-up spec: "dims": { "samples": [sizes] }',
      );
      const targets = buildWarmTargets(parseWarmupSpec({ dims: { samples: [512, 1536] } }), inputs, 'vad.onnx');
      expect(targets.map((t) => t.label)).toEqual(['1x512', '1x1536']);
      const f = targets[0]!.feeds;
      expect(f['state']!.dims).toEqual([2, 1, 32]);
      expect([...(f['state']!.data as Float32Array)].every((v) => v === 0)).toBe(true);
      expect(f['sr']!.dims).toEqual([]);
      expect(f['sr']!.data).toEqual(new BigInt64Array([16000n]));
      for (const t of targets) {
        const out = await s.run(t.feeds);
        expect(out['stateN']!.dims).toEqual([2, 1, 32]);
      }
      // A constant from the spec replaces the guess.
      const at8k = buildWarmTargets(
        parseWarmupSpec({ dims: { samples: [512] }, inputs: { sr: { value: 8000 } } }),
        inputs,
        'vad.onnx',
      );
      expect(at8k[0]!.feeds['sr']!.data).toEqual(new BigInt64Array([8000n]));
    });
  });

  it('a float-feature classifier with an unk__12 batch warms batch 1 with no spec', async () => {
    await withSession('tiny-classifier', async (s) => {
      const targets = buildWarmTargets(WARMUP_SPEC_DEFAULTS, describeInputs(s), 'clf');
      expect(targets.map((t) => t.label)).toEqual(['1']);
      expect(targets[0]!.feeds['float_input']!.dims).toEqual([1, 32]);
      const out = await s.run(targets[0]!.feeds);
      expect(out['probabilities']!.dims).toEqual([1, 5]);
      const batched = buildWarmTargets(parseWarmupSpec({ dims: { batch: [1, 8] } }), describeInputs(s), 'clf');
      expect(batched.map((t) => t.label)).toEqual(['1', '8']);
    });
  });
});

describe('FeedBuilder guesses and values', () => {
  it('keys an unnamed dynamic axis input[axis], and names it in the error', () => {
    const inputs: ModelInputInfo[] = [{ name: 'audio', type: 'float32', dims: [1, ''] }];
    const b = new FeedBuilder(inputs, 'm');
    expect(caught(() => b.buckets())!.message).toMatch(/"dims": \{ "audio\[1\]": \[sizes\] \}/);
    expect(new FeedBuilder(inputs, 'm', 1000, { dims: { 'audio[1]': [100] } }).buckets()).toEqual([
      { 'audio[1]': 100 },
    ]);
  });

  it('shares a named dimension across inputs, fills masks with ones and type ids with zeros, and honours value specs', () => {
    const inputs: ModelInputInfo[] = [
      { name: 'input_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', type: 'int64', dims: ['batch_size', 'sequence_length'] },
      { name: 'token_type_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] },
      { name: 'pixel', type: 'float32', dims: ['batch_size', 3, 8, 8] },
    ];
    const b = new FeedBuilder(inputs, 'm', 1000, {
      inputs: { input_ids: { values: 'tokens', min: 5, max: 7 }, pixel: { values: 'uniform', min: 0, max: 1 } },
    });
    expect(b.buckets()).toEqual([
      { batch_size: 1, sequence_length: 16 },
      { batch_size: 1, sequence_length: 64 },
      { batch_size: 4, sequence_length: 64 },
    ]);
    const f = b.build({ batch: 2, seq: 3 });
    expect(f['attention_mask']!.dims).toEqual([2, 3]);
    expect([...(f['attention_mask']!.data as BigInt64Array)]).toEqual([1n, 1n, 1n, 1n, 1n, 1n]);
    expect([...(f['token_type_ids']!.data as BigInt64Array)].every((v) => v === 0n)).toBe(true);
    expect([...(f['input_ids']!.data as BigInt64Array)].every((v) => v === 5n || v === 6n)).toBe(true);
    expect([...(f['pixel']!.data as Float32Array)].every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('fills float16 inputs (half-precision bits) and names an unsupported type', () => {
    expect([1, -2, 0.5, 0, 65504, 1e6, 1e-9].map(toHalfBits)).toEqual([0x3c00, 0xc000, 0x3800, 0, 0x7bff, 0x7c00, 0]);
    const f = new FeedBuilder([{ name: 'x', type: 'float16', dims: ['n', 4] }], 'm', 1000, {
      inputs: { x: { value: 1 } },
    }).build({ batch: 2 });
    expect(f['x']!.type).toBe('float16');
    expect([...(f['x']!.data as Uint16Array)]).toEqual(Array.from({ length: 8 }, () => 0x3c00));
    expect(caught(() => new FeedBuilder([{ name: 's', type: 'string', dims: ['n'] }], 'm').buckets())!.message).toMatch(
      /input s of m has type string; warm-up supports float32, float16/,
    );
  });

  it('bounds the cross product of dims', () => {
    const inputs: ModelInputInfo[] = [{ name: 'x', type: 'float32', dims: ['n', 3, 'h', 'w'] }];
    const sizes = Array.from({ length: 10 }, (_, i) => 32 * (i + 1));
    const err = caught(() => new FeedBuilder(inputs, 'm', 1000, { dims: { height: sizes, width: sizes } }).buckets());
    expect(err!.message).toMatch(/cross to more than 64 buckets; list the buckets to warm in "shapes" instead/);
  });

  it('maps a served request shape back to its bucket, or undefined when it does not fit', () => {
    const b = new FeedBuilder([{ name: 'x', type: 'float32', dims: ['n', 3, 'h', 'w'] }], 'm');
    expect(b.bucketOf({ x: [1, 3, 480, 640] })).toEqual({ n: 1, h: 480, w: 640 });
    expect(b.bucketOf({ x: [1, 4, 480, 640] })).toBeUndefined();
    expect(b.bucketOf({ y: [1, 3, 480, 640] })).toBeUndefined();
  });
});

describe('warm-up spec: model-derived keys, files against the spec file', () => {
  it('reads dims (lists and ranges), inputs and convergenceWindows; rejects bad ones naming the key', () => {
    const s = parseWarmupSpec({
      dims: { seq: { min: 16, max: 64, step: 32 } },
      inputs: { sr: { value: 8000 }, ids: { values: 'tokens', max: 30522 } },
      convergenceWindows: 4,
    });
    expect(s.dims).toEqual({ seq: [16, 48, 64] });
    expect(s.inputs).toEqual({ sr: { value: 8000 }, ids: { values: 'tokens', max: 30522 } });
    expect(s.convergenceWindows).toBe(4);
    const err = caught(() =>
      parseWarmupSpec({ dims: { h: [0] }, inputs: { x: { values: 'pink', size: 1 } } }, 'spec.json'),
    );
    const paths = (err as unknown as { issues: Array<{ path: string }> }).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['dims.h', 'inputs.x.size', 'inputs.x.values']);
  });

  it('resolves relative recordedInputsFile and recordedShapesFile against the spec file, not the working directory', () => {
    const sub = join(dir, 'specs');
    const specFile = join(sub, 'warm.json');
    rmSync(sub, { recursive: true, force: true });
    mkdirSync(sub, { recursive: true });
    writeFileSync(
      specFile,
      JSON.stringify({ recordedInputsFile: 'inputs.json', recordedShapesFile: '/abs/shapes.json' }),
    );
    const s = loadWarmupSpec(specFile);
    expect(s.recordedInputsFile).toBe(join(sub, 'inputs.json'));
    expect(s.recordedShapesFile).toBe('/abs/shapes.json');
    expect(s.syntheticInputs).toBe(false);
  });

  it('a recordedShapesFile not written yet warms what the model suggests; spec inputs must name model inputs', async () => {
    await withSession('tiny-transformer', async (s) => {
      const spec = parseWarmupSpec({ recordedShapesFile: join(dir, 'not-yet.json') });
      expect(buildWarmTargets(spec, describeInputs(s), 'tiny').map((t) => [t.label, t.kind])).toEqual([
        ['1x16', 'synthetic'],
        ['1x64', 'synthetic'],
        ['4x64', 'synthetic'],
      ]);
      const typo = parseWarmupSpec({ inputs: { input_id: { values: 'tokens', max: 100 } } });
      expect(caught(() => buildWarmTargets(typo, describeInputs(s), 'tiny'))!.message).toBe(
        'shape (guessed): "inputs" names input_id, not an input of tiny (its inputs: input_ids)',
      );
    });
  });

  it('reads a shape recording most frequent first, naming a bad entry', () => {
    const f = join(dir, 'shapes.json');
    writeFileSync(
      f,
      JSON.stringify({
        shapes: [
          { dims: { x: [1, 2] }, count: 1 },
          { dims: { x: [1, 9] }, count: 5 },
        ],
      }),
    );
    expect(readShapeRecording(f)).toEqual([{ x: [1, 9] }, { x: [1, 2] }]);
    writeFileSync(f, JSON.stringify({ shapes: [{ dims: { x: 'big' } }] }));
    expect(caught(() => readShapeRecording(f))!.message).toMatch(/shapes\[0\]\.dims/);
  });
});

describe('the README examples', () => {
  const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
  const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map(
    (m) => JSON.parse(m[1]!) as Record<string, unknown>,
  );

  it('the image, text and recurrent specs warm their models as documented', async () => {
    const [image, text, recurrent] = blocks;
    await withSession('tiny-convnet', async (s) => {
      const t = buildWarmTargets(parseWarmupSpec(image), describeInputs(s), 'convnet');
      expect(t.map((x) => x.feeds['x']!.dims)).toEqual([
        [1, 3, 640, 640],
        [1, 3, 736, 1280],
      ]);
      const grid = parseWarmupSpec({
        dims: { height: [320, 640], width: { min: 320, max: 960, step: 320 } },
        inputs: { x: { values: 'uniform', min: 0, max: 1 } },
      });
      expect(buildWarmTargets(grid, describeInputs(s), 'convnet')).toHaveLength(6);
    });
    await withSession('tiny-transformer', async (s) => {
      const t = buildWarmTargets(parseWarmupSpec(text), describeInputs(s), 'tiny');
      expect(t.map((x) => x.label)).toEqual(['1x32', '1x128', '1x512', '8x32', '8x128', '8x512']);
    });
    await withSession('tiny-vad', async (s) => {
      const t = buildWarmTargets(parseWarmupSpec(recurrent), describeInputs(s), 'vad');
      for (const x of t) await s.run(x.feeds);
      expect(t.map((x) => x.label)).toEqual(['1x512']);
    });
  });

  it('the full spec parses; the recording parses as one', () => {
    const full = blocks.find((b) => 'concurrency' in b)!;
    expect(parseWarmupSpec(full, 'README').convergenceWindows).toBe(3);
    const recording = join(dir, 'readme-recording.json');
    writeFileSync(recording, JSON.stringify(blocks.find((b) => 'untracked' in b)));
    expect(readShapeRecording(recording)).toEqual([{ input_ids: [1, 24] }]);
  });

  it('a dims key that is neither a dimension of the model nor a role is an error naming it', () => {
    const b = new FeedBuilder([{ name: 'x', type: 'float32', dims: ['n', 3, 'h', 'w'] }], 'm', 1000, {
      dims: { hieght: [640] },
    });
    expect(caught(() => b.buckets())!.message).toMatch(
      /"dims" names hieght, not a dimension of m \(its dynamic dimensions: n \(batch\), h \(height\), w \(width\)\)/,
    );
  });
});
