import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelShapeError } from '../src/errors/model-shape-error.js';
import { OnnxGraphBuilder } from '../src/models/onnx-graph-builder.js';
import { ensureTestModel } from '../src/models/test-model-catalog.js';
import { FeedBuilder, describeInputs, type ModelInputInfo } from '../src/session/feed-builder.js';
import { guessRole } from '../src/session/input-roles.js';
import { encodeTensor, parseFeeds } from '../src/session/tensor-json.js';
import { buildWarmTargets } from '../src/warmup/warm-target.js';
import { parseWarmupSpec, WARMUP_SPEC_DEFAULTS } from '../src/warmup/warmup-spec.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-exporters-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function withSession<T>(file: string, f: (s: ort.InferenceSession) => Promise<T>): Promise<T> {
  const s = await ort.InferenceSession.create(file, {
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

/** Per pattern: the bucket labels warmed with no spec, and the dims of each input in each bucket. */
const NO_SPEC: ReadonlyArray<{ model: string; labels: string[]; dims: Record<string, number[][]> }> = [
  {
    model: 'tiny-bert',
    labels: ['1x16', '1x64', '4x64'],
    dims: {
      input_ids: [
        [1, 16],
        [1, 64],
        [4, 64],
      ],
      attention_mask: [
        [1, 16],
        [1, 64],
        [4, 64],
      ],
      token_type_ids: [
        [1, 16],
        [1, 64],
        [4, 64],
      ],
    },
  },
  {
    // tf2onnx gives each input its own placeholders: the mask and type ids must still match the ids.
    model: 'tiny-bert-tf2onnx',
    labels: ['1x16', '1x64', '4x64'],
    dims: {
      input_ids: [
        [1, 16],
        [1, 64],
        [4, 64],
      ],
      attention_mask: [
        [1, 16],
        [1, 64],
        [4, 64],
      ],
      token_type_ids: [
        [1, 16],
        [1, 64],
        [4, 64],
      ],
    },
  },
  {
    // Optimum merged decoder: the prompt on an empty cache (past 0), then single tokens on a cache of 16 and 64.
    model: 'tiny-kv-decoder',
    labels: ['1x16x0', '1x1x16', '1x1x64'],
    dims: {
      input_ids: [
        [1, 16],
        [1, 1],
        [1, 1],
      ],
      attention_mask: [
        [1, 16],
        [1, 17],
        [1, 65],
      ],
      'past_key_values.0.key': [
        [1, 2, 0, 16],
        [1, 2, 16, 16],
        [1, 2, 64, 16],
      ],
    },
  },
  {
    // decoder_with_past: a mask of `past_sequence_length + 1` means one token per step.
    model: 'tiny-kv-decoder-step',
    labels: ['1x1x0', '1x1x16', '1x1x64'],
    dims: {
      input_ids: [
        [1, 1],
        [1, 1],
        [1, 1],
      ],
      attention_mask: [
        [1, 1],
        [1, 17],
        [1, 65],
      ],
      'past_key_values.0.value': [
        [1, 2, 0, 16],
        [1, 2, 16, 16],
        [1, 2, 64, 16],
      ],
    },
  },
  { model: 'tiny-nhwc', labels: ['1'], dims: { input_1: [[1, 224, 224, 3]] } },
  { model: 'tiny-nhwc-dynamic', labels: ['1x224x224'], dims: { input_1: [[1, 224, 224, 3]] } },
  { model: 'tiny-fp16', labels: ['1'], dims: { input: [[1, 32]] } },
  { model: 'tiny-yolo', labels: ['fixed'], dims: { images: [[1, 3, 640, 640]] } },
  { model: 'tiny-label-classifier', labels: ['1'], dims: { float_input: [[1, 16]] } },
];

describe('roles by layout and name', () => {
  const roles = (input: ModelInputInfo): Array<string | undefined> =>
    input.dims.map((_, axis) => guessRole(input, axis));
  it.each([
    {
      input: { name: 'input_1', type: 'float32', dims: ['unk__1', 'unk__2', 'unk__3', 3] },
      want: ['batch', 'height', 'width', 'channels'],
    },
    { input: { name: 'x', type: 'float32', dims: ['N', 'H', 'W', 1] }, want: ['batch', 'height', 'width', 'channels'] },
    { input: { name: 'x', type: 'float32', dims: ['N', 3, 'H', 'W'] }, want: ['batch', 'channels', 'height', 'width'] },
    { input: { name: 'x', type: 'float32', dims: ['N', 3, 'H', 3] }, want: ['batch', 'channels', 'height', 'width'] },
    {
      input: { name: 'past_key_values.0.key', type: 'float32', dims: ['batch_size', 12, 'past_sequence_length', 64] },
      want: ['batch', undefined, 'past', undefined],
    },
    {
      input: { name: 'past_key_values.3.value', type: 'float16', dims: ['', 8, '', 64] },
      want: ['batch', undefined, 'past', undefined],
    },
    {
      input: { name: 'cache', type: 'float32', dims: [2, 'batch', 'total_length', 64] },
      want: [undefined, 'batch', 'past', undefined],
    },
    { input: { name: 'state', type: 'float32', dims: [2, 'batch', 128] }, want: [undefined, 'batch', undefined] },
  ] as Array<{ input: ModelInputInfo; want: Array<string | undefined> }>)(
    '$input.name $input.dims',
    ({ input, want }) => {
      expect(roles(input)).toEqual(want);
    },
  );
});

describe('exporter patterns warmed with no spec', () => {
  it.each(NO_SPEC)('$model: warms $labels, and every bucket runs', async ({ model, labels, dims }) => {
    await withSession(ensureTestModel(model, dir), async (s) => {
      const targets = buildWarmTargets(WARMUP_SPEC_DEFAULTS, describeInputs(s), model);
      expect(targets.map((t) => t.label)).toEqual(labels);
      for (const [name, perBucket] of Object.entries(dims)) {
        expect(targets.map((t) => t.feeds[name]!.dims)).toEqual(perBucket);
      }
      for (const t of targets) {
        const out = await s.run(t.feeds);
        expect(Object.keys(out)).toEqual(s.outputNames);
      }
    });
  });

  it('the KV cache grows by the new tokens: present length = past + sequence', async () => {
    await withSession(ensureTestModel('tiny-kv-decoder', dir), async (s) => {
      const targets = buildWarmTargets(WARMUP_SPEC_DEFAULTS, describeInputs(s), 'kv');
      const present = [];
      for (const t of targets) present.push((await s.run(t.feeds))['present.0.key']!.dims);
      expect(present).toEqual([
        [1, 2, 16, 16],
        [1, 2, 17, 16],
        [1, 2, 65, 16],
      ]);
    });
  });

  it('a half-precision model gets float16 values that are finite', async () => {
    await withSession(ensureTestModel('tiny-fp16', dir), async (s) => {
      const [target] = buildWarmTargets(WARMUP_SPEC_DEFAULTS, describeInputs(s), 'fp16');
      expect(target!.feeds['input']!.type).toBe('float16');
      const out = (await s.run(target!.feeds))['output']!;
      expect(out.type).toBe('float16');
      // Half bits with an all-ones exponent are infinities or NaN.
      expect([...(out.data as Uint16Array)].some((b) => (b & 0x7c00) === 0x7c00)).toBe(false);
    });
  });
});

describe('exporter patterns that need a spec', () => {
  it('a [batch, 80, frames] audio model names the input, its shape and the key to write; one spec line warms it', async () => {
    await withSession(ensureTestModel('tiny-audio-features', dir), async (s) => {
      const inputs = describeInputs(s);
      const e = caught(() => buildWarmTargets(WARMUP_SPEC_DEFAULTS, inputs, 'audio.onnx'));
      expect(e).toBeInstanceOf(ModelShapeError);
      expect(e!.message).toContain('input input_features of audio.onnx has shape [batch_size, 80, frames] (float32)');
      expect(e!.message).toContain('"dims": { "frames": [sizes] }');
      const targets = buildWarmTargets(parseWarmupSpec({ dims: { frames: [3000] } }), inputs, 'audio.onnx');
      expect(targets.map((t) => t.feeds['input_features']!.dims)).toEqual([[1, 80, 3000]]);
      expect((await s.run(targets[0]!.feeds))['last_hidden_state']!.dims).toEqual([1, 32, 1500]);
    });
  });

  it('a decoder warms the cache lengths the spec gives by role, 0 included; the computed mask follows', () => {
    const inputs: ModelInputInfo[] = [
      { name: 'input_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', type: 'int64', dims: ['batch_size', 'past_sequence_length + sequence_length'] },
      { name: 'past_key_values.0.key', type: 'float32', dims: ['batch_size', 4, 'past_sequence_length', 8] },
    ];
    const targets = buildWarmTargets(
      parseWarmupSpec({
        shapes: [
          { seq: 8, past: 0 },
          { seq: 1, past: 128 },
        ],
      }),
      inputs,
      'dec.onnx',
    );
    expect(targets.map((t) => t.feeds['attention_mask']!.dims)).toEqual([
      [1, 8],
      [1, 129],
    ]);
    const fb = new FeedBuilder(inputs, 'dec.onnx');
    const e = caught(() =>
      new FeedBuilder(inputs, 'dec.onnx', 1000, { dims: { 'past_sequence_length + sequence_length': [8] } }).buckets(),
    );
    expect(e!.message).toContain(
      '"past_sequence_length + sequence_length" is computed from past_sequence_length and sequence_length: give those',
    );
    expect(caught(() => fb.resolve({ seq: 0 }))!.message).toContain('seq must be a positive integer, got 0');
    const zeroSeq = caught(() => parseWarmupSpec({ dims: { seq: [0], past_sequence_length: [0] } }));
    expect((zeroSeq as unknown as { issues: Array<{ path: string }> }).issues.map((x) => x.path)).toEqual(['dims.seq']);
    const warmed = buildWarmTargets(
      parseWarmupSpec({ dims: { seq: [4], past_sequence_length: [0, 8] } }),
      inputs,
      'dec.onnx',
    );
    expect(warmed.map((t) => t.label)).toEqual(['1x4x0', '1x4x8']);
    expect(caught(() => fb.resolve({ past: -1 }))!.message).toContain('past must be a non-negative integer, got -1');
  });
});

describe('placeholder dimensions shared by role', () => {
  const inputs: ModelInputInfo[] = [
    { name: 'input_ids', type: 'int64', dims: ['unk__1', 'unk__2'] },
    { name: 'attention_mask', type: 'int64', dims: ['', ''] },
    { name: 'pixel_values', type: 'float32', dims: ['unk__7', 3, 'height', 'width'] },
  ];
  const fb = new FeedBuilder(inputs, 'tf.onnx');

  it('link to the first placeholder of their role; meaningful names stay their own', () => {
    expect(fb.dynamicDims().map((d) => [d.key, d.role])).toEqual([
      ['unk__1', 'batch'],
      ['unk__2', 'seq'],
      ['height', 'height'],
      ['width', 'width'],
    ]);
    const dims = fb.dimsFor({ unk__1: 2, unk__2: 8 });
    expect([dims.get('attention_mask'), dims.get('pixel_values')]).toEqual([
      [2, 8],
      [2, 3, 224, 224],
    ]);
    expect(fb.bucketOf({ input_ids: [1, 8], attention_mask: [1, 9], pixel_values: [1, 3, 32, 32] })).toBeUndefined();
  });

  it('naming a linked placeholder in the spec says which key to give', () => {
    const e = caught(() => new FeedBuilder(inputs, 'tf.onnx', 1000, { dims: { 'attention_mask[1]': [8] } }).buckets());
    expect(e).toBeInstanceOf(ModelShapeError);
    expect(e!.message).toContain('"attention_mask[1]" is the same dimension as "unk__2": give that');
  });
});

describe('served requests of a decoder', () => {
  const inputs: ModelInputInfo[] = [
    { name: 'input_ids', type: 'int64', dims: ['batch_size', 'sequence_length'] },
    { name: 'attention_mask', type: 'int64', dims: ['batch_size', 'past_sequence_length + 1'] },
    { name: 'past_key_values.0.key', type: 'float32', dims: ['batch_size', 2, 'past_sequence_length', 16] },
  ];
  const fb = new FeedBuilder(inputs, 'dec.onnx');

  it.each([
    {
      what: 'first step, empty cache',
      ids: [1, 1],
      mask: [1, 1],
      past: [1, 2, 0, 16],
      bucket: { batch_size: 1, sequence_length: 1, past_sequence_length: 0 },
    },
    {
      what: 'a cache of 20',
      ids: [2, 1],
      mask: [2, 21],
      past: [2, 2, 20, 16],
      bucket: { batch_size: 2, sequence_length: 1, past_sequence_length: 20 },
    },
    { what: 'a mask that is not past + 1', ids: [1, 1], mask: [1, 20], past: [1, 2, 20, 16], bucket: undefined },
    { what: 'an empty batch', ids: [0, 1], mask: [0, 1], past: [0, 2, 0, 16], bucket: undefined },
  ])('$what: bucket $bucket', ({ ids, mask, past, bucket }) => {
    expect(fb.bucketOf({ input_ids: ids, attention_mask: mask, 'past_key_values.0.key': past })).toEqual(bucket);
  });

  it('an empty cache is a valid v1 JSON request', () => {
    const feeds = parseFeeds(
      {
        input_ids: { dims: [1, 1], data: [5] },
        attention_mask: { dims: [1, 1], data: [1] },
        'past_key_values.0.key': { dims: [1, 2, 0, 16], data: [] },
      },
      inputs,
      'test request',
    );
    expect(feeds['past_key_values.0.key']!.dims).toEqual([1, 2, 0, 16]);
  });
});

describe('v1 JSON for the types warm-up feeds', () => {
  it('float16 goes in as numbers and comes back as numbers; int8 out of range is refused naming the value', async () => {
    await withSession(ensureTestModel('tiny-fp16', dir), async (s) => {
      const inputs = describeInputs(s);
      const data = Array.from({ length: 32 }, (_, i) => (i - 16) / 8);
      const feeds = parseFeeds({ input: { dims: [1, 32], data } }, inputs, 'test request');
      expect(feeds['input']!.type).toBe('float16');
      expect(encodeTensor(feeds['input']!).data).toEqual(data); // multiples of 1/8 are exact in half precision
      const out = encodeTensor((await s.run(feeds))['output']!);
      expect(out.type).toBe('float16');
      // Decoded values of a small MLP, not the raw half bits (0-65535).
      expect(out.data.every((v) => Number.isFinite(v) && Math.abs(v) < 100)).toBe(true);
      expect(out.data.some((v) => !Number.isInteger(v))).toBe(true);
    });
    const int8: ModelInputInfo[] = [{ name: 'q', type: 'int8', dims: ['n'] }];
    const e = caught(() => parseFeeds({ q: { dims: [2], data: [1, 200] } }, int8, 'test request'));
    expect((e as unknown as { issues: Array<{ path: string; allowed: string }> }).issues).toEqual([
      expect.objectContaining({ path: 'inputs.q.data[1]', allowed: 'an integer in [-128, 127] (int8)' }),
    ]);
  });
});

describe('what ONNX Runtime shows of an optional input', () => {
  it('an input with an initializer default is not listed, and the warm feeds run without it', async () => {
    const g = new OnnxGraphBuilder('optional_input', 17);
    const x = g.input('x', 'float32', ['batch', 4]);
    const t = g.input('temperature', 'float32', [1]);
    g.floatTensor('temperature', [1], new Float32Array([2]));
    g.node('Div', [x, t], {}, 'y');
    g.output('y', 'float32', ['batch', 4]);
    const file = join(dir, 'optional-input.onnx');
    writeFileSync(file, g.build('test'));
    await withSession(file, async (s) => {
      const inputs = describeInputs(s);
      expect(inputs.map((i) => i.name)).toEqual(['x']);
      const [target] = buildWarmTargets(WARMUP_SPEC_DEFAULTS, inputs, 'optional');
      const y = (await s.run(target!.feeds))['y']!.data as Float32Array;
      const xs = target!.feeds['x']!.data as Float32Array;
      expect(y[0]).toBeCloseTo(xs[0]! / 2, 5);
    });
  });
});
