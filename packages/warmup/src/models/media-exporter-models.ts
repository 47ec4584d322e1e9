import { SeededRandom } from '@warmpool/domain';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';

/** A tf2onnx-style NHWC image classifier: fixed 224 x 224 or dynamic height and width. */
export interface NhwcImageConfig {
  readonly spatial: 'fixed' | 'dynamic';
  readonly classes: number;
  readonly seed: number;
}

/** A half-precision MLP whose batch axis the exporter left unnamed. */
export interface HalfMlpConfig {
  readonly features: number;
  readonly classes: number;
  readonly seed: number;
}

/** A Whisper-like log-mel feature model: [batch, mels, frames]. */
export interface AudioFeatureConfig {
  readonly mels: number;
  readonly channels: number;
  readonly seed: number;
}

/** A fixed-shape YOLO-style detector: `images` [1, 3, size, size]. */
export interface FixedDetectorConfig {
  readonly size: number;
  readonly seed: number;
}

/** An skl2onnx-style classifier whose first output is the int64 label. */
export interface LabelClassifierConfig {
  readonly features: number;
  readonly classes: number;
  readonly seed: number;
}

function random(g: OnnxGraphBuilder, rnd: SeededRandom) {
  return (name: string, dims: number[], scale: number): string => {
    const v = new Float32Array(dims.reduce((a, b) => a * b, 1));
    for (let i = 0; i < v.length; i++) v[i] = rnd.symmetric(scale);
    return g.floatTensor(name, dims, v);
  };
}

/**
 * tf2onnx's image export: `input_1` float32 NHWC [unk__612, 224, 224, 3] (or [unk__612,
 * unk__613, unk__614, 3] with dynamic height and width), transposed to NCHW, two stride-2 convs,
 * global average pooling, a dense head; output `dense` float32 [unk__612, classes].
 */
export function buildNhwcImage(c: NhwcImageConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_nhwc_image', 13);
  const r = random(g, new SeededRandom(c.seed));
  const hw = c.spatial === 'fixed' ? [224, 224] : ['unk__613', 'unk__614'];
  let x = g.node('Transpose', [g.input('input_1', 'float32', ['unk__612', ...hw, 3])], { perm: [0, 3, 1, 2] });
  let inC = 3;
  for (const [i, outC] of [8, 16].entries()) {
    x = g.node('Relu', [g.node('Conv', [x, r(`conv${i}_w`, [outC, inC, 3, 3], Math.sqrt(6 / (inC * 9))), r(`conv${i}_b`, [outC], 0.01)], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })]);
    inC = outC;
  }
  const pooled = g.node('Flatten', [g.node('GlobalAveragePool', [x])], { axis: 1 });
  g.node('Softmax', [g.node('MatMul', [pooled, r('dense_w', [inC, c.classes], 1 / Math.sqrt(inC))])], { axis: -1 }, 'dense');
  g.output('dense', 'float32', ['unk__612', c.classes]);
  return g.build('tf2onnx');
}

/**
 * A half-precision export: `input` float16 [<unnamed>, features] (dim_param empty, dim_value
 * absent), float16 weights, MatMul + Relu + MatMul; output `output` float16 [<unnamed>, classes].
 */
export function buildHalfMlp(c: HalfMlpConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_half_mlp', 17);
  const rnd = new SeededRandom(c.seed);
  const half = (name: string, rows: number, cols: number): string => {
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < v.length; i++) v[i] = rnd.symmetric(1 / Math.sqrt(rows));
    return g.halfTensor(name, [rows, cols], v);
  };
  const hidden = 2 * c.features;
  const x = g.input('input', 'float16', [null, c.features]);
  const h = g.node('Relu', [g.node('MatMul', [x, half('w1', c.features, hidden)])]);
  g.node('MatMul', [h, half('w2', hidden, c.classes)], {}, 'output');
  g.output('output', 'float16', [null, c.classes]);
  return g.build('pytorch');
}

/**
 * A Whisper-like audio encoder front: `input_features` float32 [batch_size, mels, frames]
 * (log-mel, fixed mel count, the frame count dynamic), two 1-D convolutions (the second stride 2)
 * with Relu; output `last_hidden_state` float32 [batch_size, channels, frames / 2] (named
 * `encoder_sequence_length`).
 */
export function buildAudioFeatures(c: AudioFeatureConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_audio_features', 17);
  const r = random(g, new SeededRandom(c.seed));
  const x = g.input('input_features', 'float32', ['batch_size', c.mels, 'frames']);
  const conv1 = g.node('Relu', [g.node('Conv', [x, r('conv1_w', [c.channels, c.mels, 3], Math.sqrt(6 / (c.mels * 3))), r('conv1_b', [c.channels], 0.01)], { kernel_shape: [3], pads: [1, 1] })]);
  g.node('Relu', [g.node('Conv', [conv1, r('conv2_w', [c.channels, c.channels, 3], Math.sqrt(6 / (c.channels * 3))), r('conv2_b', [c.channels], 0.01)], { kernel_shape: [3], strides: [2], pads: [1, 1] })], {}, 'last_hidden_state');
  g.output('last_hidden_state', 'float32', ['batch_size', c.channels, 'encoder_sequence_length']);
  return g.build('pytorch');
}

/**
 * A YOLO-style detector exported with a fixed shape: `images` float32 [1, 3, size, size], two
 * strided convs down to a 1/32 grid, a 1x1 head of 84 channels (4 box + 80 class scores); output
 * `output0` float32 [1, 84, cells].
 */
export function buildFixedDetector(c: FixedDetectorConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_fixed_detector', 17);
  const r = random(g, new SeededRandom(c.seed));
  const x = g.input('images', 'float32', [1, 3, c.size, c.size]);
  const s1 = g.node('Relu', [g.node('Conv', [x, r('stem_w', [8, 3, 8, 8], Math.sqrt(6 / 192)), r('stem_b', [8], 0.01)], { kernel_shape: [8, 8], strides: [8, 8] })]);
  const s2 = g.node('Relu', [g.node('Conv', [s1, r('down_w', [16, 8, 4, 4], Math.sqrt(6 / 128)), r('down_b', [16], 0.01)], { kernel_shape: [4, 4], strides: [4, 4] })]);
  const head = g.node('Sigmoid', [g.node('Conv', [s2, r('head_w', [84, 16, 1, 1], 0.25), r('head_b', [84], 0)], { kernel_shape: [1, 1] })]);
  const cells = (c.size / 32) ** 2;
  g.node('Reshape', [head, g.int64Tensor('out_shape', [1, 84, cells])], {}, 'output0');
  g.output('output0', 'float32', [1, 84, cells]);
  return g.build('pytorch');
}

/**
 * skl2onnx's classifier: input `float_input` float32 [None (unnamed), features]; outputs `label`
 * int64 [unnamed] first (the arg max), then `probabilities` float32 [unnamed, classes].
 */
export function buildLabelClassifier(c: LabelClassifierConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_label_classifier', 17);
  const r = random(g, new SeededRandom(c.seed));
  const x = g.input('float_input', 'float32', [null, c.features]);
  const probs = g.node('Softmax', [g.node('MatMul', [x, r('coef', [c.features, c.classes], 1 / Math.sqrt(c.features))])], { axis: -1 }, 'probabilities');
  g.node('ArgMax', [probs], { axis: 1, keepdims: 0 }, 'label');
  g.output('label', 'int64', [null]);
  g.output('probabilities', 'float32', [null, c.classes]);
  return g.build('skl2onnx');
}
