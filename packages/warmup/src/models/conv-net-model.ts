import { SeededRandom } from '@warmpool/domain';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';

/** Size of a generated image model (a small detector/classifier backbone). */
export interface ConvNetConfig {
  /** Output channels of each stride-2 3x3 convolution. */
  readonly channels: readonly number[];
  readonly classes: number;
  readonly seed: number;
}

/** Input and output names of the generated image model (as paddle2onnx exports them). */
export const CONV_NET_INPUT = 'x';
export const CONV_NET_OUTPUT = 'logits';

/**
 * A small convolutional network exported the way real exporters write image models: input `x`
 * float32 `[p2o.DynamicDimension.0, 3, p2o.DynamicDimension.1, p2o.DynamicDimension.2]` (dynamic
 * batch, height and width, named like paddle2onnx does), stride-2 Conv + Relu stages, global
 * average pooling, a linear head; output `logits` float32 [batch, classes].
 */
export function buildConvNet(c: ConvNetConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_conv_net', 17);
  const rnd = new SeededRandom(c.seed);
  const batch = 'p2o.DynamicDimension.0';
  let x = g.input(CONV_NET_INPUT, 'float32', [batch, 3, 'p2o.DynamicDimension.1', 'p2o.DynamicDimension.2']);
  let inC = 3;
  c.channels.forEach((outC, i) => {
    const fanIn = inC * 9;
    const w = new Float32Array(outC * fanIn);
    for (let k = 0; k < w.length; k++) w[k] = rnd.symmetric(Math.sqrt(6 / fanIn));
    const weight = g.floatTensor(`conv${i}_w`, [outC, inC, 3, 3], w);
    const bias = g.floatTensor(`conv${i}_b`, [outC], new Float32Array(outC).fill(0.01));
    x = g.node('Relu', [g.node('Conv', [x, weight, bias], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] })]);
    inC = outC;
  });
  const pooled = g.node('Flatten', [g.node('GlobalAveragePool', [x])], { axis: 1 });
  const head = new Float32Array(inC * c.classes);
  for (let k = 0; k < head.length; k++) head[k] = rnd.symmetric(1 / Math.sqrt(inC));
  g.node('MatMul', [pooled, g.floatTensor('head_w', [inC, c.classes], head)], {}, CONV_NET_OUTPUT);
  g.output(CONV_NET_OUTPUT, 'float32', [batch, c.classes]);
  return g.build('warmpool-test-model-generator');
}
