import { SeededRandom } from '@warmpool/domain';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';

/** Size of a generated recurrent (voice-activity-like) model. */
export interface RecurrentStateConfig {
  /** Samples per LSTM step: the audio input's length must be a multiple of it. */
  readonly frameSize: number;
  readonly hiddenSize: number;
  readonly seed: number;
}

/** Names of the generated recurrent model's tensors (as Silero VAD names them). */
export const RECURRENT_INPUTS = { audio: 'input', state: 'state', sampleRate: 'sr' } as const;
export const RECURRENT_OUTPUTS = { probability: 'output', state: 'stateN' } as const;

/**
 * A voice-activity-like recurrent model with explicit state, shaped like Silero VAD v5:
 * inputs `input` float32 [batch, samples] (audio, a multiple of `frameSize` samples), `state`
 * float32 [2, batch, hidden] (LSTM h and c, zeros at the start of a stream), `sr` int64 rank 0
 * (sample rate); outputs `output` float32 [batch, 1] (a probability) and `stateN` float32
 * [2, batch, hidden] (the next state). The audio is cut into frames of `frameSize`, run through
 * one LSTM from the given state; the sample rate scales the frames (as x * sr / 16000).
 */
export function buildRecurrentState(c: RecurrentStateConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_recurrent_state', 17);
  const rnd = new SeededRandom(c.seed);
  const h = c.hiddenSize;
  const f = c.frameSize;
  const rand = (name: string, dims: number[], scale: number): string => {
    const n = dims.reduce((a, b) => a * b, 1);
    const v = new Float32Array(n);
    for (let i = 0; i < n; i++) v[i] = rnd.symmetric(scale);
    return g.floatTensor(name, dims, v);
  };
  const audio = g.input(RECURRENT_INPUTS.audio, 'float32', ['batch', 'samples']);
  const state = g.input(RECURRENT_INPUTS.state, 'float32', [2, 'batch', h]);
  const sr = g.input(RECURRENT_INPUTS.sampleRate, 'int64', []);

  const srScale = g.node('Div', [g.node('Cast', [sr], { to: 1 }), g.floatTensor('sr_ref', [], new Float32Array([16000]))]);
  const frames = g.node('Reshape', [g.node('Mul', [audio, srScale]), g.int64Tensor('frame_shape', [0, -1, f])]);
  const steps = g.node('Transpose', [frames], { perm: [1, 0, 2] }); // [steps, batch, frame]
  const [h0, c0] = g.nodeMulti('Split', [state], [g.name('h0'), g.name('c0')], { axis: 0 });
  const yh = g.name('lstm_yh');
  const yc = g.name('lstm_yc');
  g.nodeMulti(
    'LSTM',
    [steps, rand('lstm_w', [1, 4 * h, f], 1 / Math.sqrt(f)), rand('lstm_r', [1, 4 * h, h], 1 / Math.sqrt(h)), rand('lstm_b', [1, 8 * h], 0.05), '', h0!, c0!],
    ['', yh, yc],
    { hidden_size: h },
  );
  g.node('Concat', [yh, yc], { axis: 0 }, RECURRENT_OUTPUTS.state);
  const last = g.node('Squeeze', [yh, g.int64Tensor('squeeze_axes', [0])]); // [batch, hidden]
  g.node('Sigmoid', [g.node('MatMul', [last, rand('out_w', [h, 1], 1 / Math.sqrt(h))])], {}, RECURRENT_OUTPUTS.probability);
  g.output(RECURRENT_OUTPUTS.probability, 'float32', ['batch', 1]);
  g.output(RECURRENT_OUTPUTS.state, 'float32', [2, 'batch', h]);
  return g.build('warmpool-test-model-generator');
}
