import { OnnxGraphBuilder } from './onnx-graph-builder.js';
import { SeededRandom } from '@warmpool/domain';

/** Size of a generated transformer-like test model. */
export interface TransformerBlockConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  /** MLP inner width (usually 4 x hidden). */
  readonly mlpSize: number;
  readonly layers: number;
  readonly seed: number;
  /** `gelu` (erf form, fused by ORT) or `relu`. */
  readonly activation: 'gelu' | 'relu';
  /** Fixed [batch, seq] instead of dynamic dimensions (to test shape errors). */
  readonly fixedInputDims?: readonly [number, number];
}

/** Input and output names of every generated model. */
export const TEST_MODEL_INPUT = 'input_ids';
export const TEST_MODEL_OUTPUT = 'last_hidden_state';

/** Bytes of float32 weights a config holds (roughly the file size). */
export function transformerWeightBytes(c: TransformerBlockConfig): number {
  const perLayer = 4 * c.hiddenSize * c.hiddenSize + 2 * c.hiddenSize * c.mlpSize + c.mlpSize + 5 * c.hiddenSize;
  return 4 * (c.vocabSize * c.hiddenSize + c.layers * perLayer + 2 * c.hiddenSize);
}

/**
 * A small transformer-like encoder: token embedding (Gather), then per layer LayerNorm,
 * single-head attention (MatMul, scaled Softmax, MatMul), residual, LayerNorm, MLP with Gelu/Relu,
 * residual; a final LayerNorm. Inputs `input_ids` int64 [batch, seq]; output float32 [batch, seq, hidden].
 */
export function buildTransformerBlock(c: TransformerBlockConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_transformer_block', 17);
  const rnd = new SeededRandom(c.seed);
  const h = c.hiddenSize;
  const weights = (name: string, rows: number, cols: number): string => {
    const scale = 1 / Math.sqrt(rows);
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < v.length; i++) v[i] = rnd.symmetric(scale);
    return g.floatTensor(name, [rows, cols], v);
  };
  const constant = (name: string, n: number, value: number): string => g.floatTensor(name, [n], new Float32Array(n).fill(value));
  const scalar = (name: string, value: number): string => g.floatTensor(name, [], new Float32Array([value]));
  const layerNorm = (x: string, prefix: string): string =>
    g.node('LayerNormalization', [x, constant(`${prefix}_gamma`, h, 1), constant(`${prefix}_beta`, h, 0)], { axis: -1, epsilon: 1e-5 });

  const [batchDim, seqDim]: [number | string, number | string] = c.fixedInputDims ? [...c.fixedInputDims] : ['batch', 'seq'];
  const ids = g.input(TEST_MODEL_INPUT, 'int64', [batchDim, seqDim]);
  let x = g.node('Gather', [weights('embedding', c.vocabSize, h), ids], { axis: 0 });
  const attnScale = scalar('attn_scale', 1 / Math.sqrt(h));
  const gelu = c.activation === 'gelu' ? { half: scalar('half', 0.5), one: scalar('one', 1), invSqrt2: scalar('inv_sqrt2', Math.SQRT1_2) } : undefined;

  for (let l = 0; l < c.layers; l++) {
    const p = `layer${l}`;
    const n1 = layerNorm(x, `${p}_ln1`);
    const q = g.node('MatMul', [n1, weights(`${p}_wq`, h, h)]);
    const k = g.node('MatMul', [n1, weights(`${p}_wk`, h, h)]);
    const v = g.node('MatMul', [n1, weights(`${p}_wv`, h, h)]);
    const kT = g.node('Transpose', [k], { perm: [0, 2, 1] });
    const scores = g.node('Mul', [g.node('MatMul', [q, kT]), attnScale]);
    const probs = g.node('Softmax', [scores], { axis: -1 });
    const attn = g.node('MatMul', [g.node('MatMul', [probs, v]), weights(`${p}_wo`, h, h)]);
    x = g.node('Add', [x, attn]);

    const n2 = layerNorm(x, `${p}_ln2`);
    const up = g.node('Add', [g.node('MatMul', [n2, weights(`${p}_w1`, h, c.mlpSize)]), constant(`${p}_b1`, c.mlpSize, 0.01)]);
    let act: string;
    if (gelu) {
      // 0.5 * x * (1 + erf(x / sqrt(2))): ORT's optimizer fuses this into one Gelu kernel.
      const erf = g.node('Erf', [g.node('Mul', [up, gelu.invSqrt2])]);
      act = g.node('Mul', [g.node('Mul', [up, gelu.half]), g.node('Add', [erf, gelu.one])]);
    } else {
      act = g.node('Relu', [up]);
    }
    const down = g.node('MatMul', [act, weights(`${p}_w2`, c.mlpSize, h)]);
    x = g.node('Add', [x, down]);
  }
  g.node('LayerNormalization', [x, constant('final_gamma', h, 1), constant('final_beta', h, 0)], { axis: -1, epsilon: 1e-5 }, TEST_MODEL_OUTPUT);
  g.output(TEST_MODEL_OUTPUT, 'float32', [batchDim, seqDim, h]);
  return g.build('warmpool-test-model-generator');
}
