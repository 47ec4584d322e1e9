import { SeededRandom } from '@warmpool/domain';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';

/** Size of a generated feature classifier. */
export interface ClassifierConfig {
  readonly features: number;
  readonly hidden: number;
  readonly classes: number;
  readonly seed: number;
}

/** Input and output names of the generated classifier (as skl2onnx names them). */
export const CLASSIFIER_INPUT = 'float_input';
export const CLASSIFIER_OUTPUT = 'probabilities';

/**
 * A small MLP classifier as converters write them: input `float_input` float32 [unk__12, features]
 * (dynamic batch named like tf2onnx does), MatMul + Relu, MatMul, Softmax; output `probabilities`
 * float32 [unk__12, classes].
 */
export function buildClassifier(c: ClassifierConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_classifier', 17);
  const rnd = new SeededRandom(c.seed);
  const weights = (name: string, rows: number, cols: number): string => {
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < v.length; i++) v[i] = rnd.symmetric(1 / Math.sqrt(rows));
    return g.floatTensor(name, [rows, cols], v);
  };
  const x = g.input(CLASSIFIER_INPUT, 'float32', ['unk__12', c.features]);
  const h = g.node('Relu', [g.node('Add', [g.node('MatMul', [x, weights('w1', c.features, c.hidden)]), g.floatTensor('b1', [c.hidden], new Float32Array(c.hidden).fill(0.01))])]);
  g.node('Softmax', [g.node('MatMul', [h, weights('w2', c.hidden, c.classes)])], { axis: -1 }, CLASSIFIER_OUTPUT);
  g.output(CLASSIFIER_OUTPUT, 'float32', ['unk__12', c.classes]);
  return g.build('warmpool-test-model-generator');
}
