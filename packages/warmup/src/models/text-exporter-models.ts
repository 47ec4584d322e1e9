import { SeededRandom } from '@warmpool/domain';
import { OnnxGraphBuilder } from './onnx-graph-builder.js';

/** Size of a generated Hugging Face Optimum BERT-style encoder. */
export interface BertEncoderConfig {
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly seed: number;
  /**
   * `optimum`: every input [batch_size, sequence_length]; `tf2onnx`: each input its own
   * placeholders (`input_ids [unk__1, unk__2]`, `attention_mask [unk__3, unk__4]`, ...), as tf2onnx
   * writes a Keras model's unnamed dimensions. Default optimum.
   */
  readonly dimNames?: 'optimum' | 'tf2onnx';
}

/** Size and dimension naming of a generated decoder with a KV cache. */
export interface KvDecoderConfig {
  readonly vocabSize: number;
  readonly heads: number;
  readonly headDim: number;
  readonly seed: number;
  /**
   * How the attention mask's length is named: `past_sequence_length + 1` (Optimum's
   * decoder_with_past, one new token per step) or `past_sequence_length + sequence_length` (merged).
   */
  readonly maskDim: 'past+1' | 'past+seq';
}

function randomWeights(g: OnnxGraphBuilder, rnd: SeededRandom) {
  return (name: string, rows: number, cols: number): string => {
    const v = new Float32Array(rows * cols);
    for (let i = 0; i < v.length; i++) v[i] = rnd.symmetric(1 / Math.sqrt(rows));
    return g.floatTensor(name, [rows, cols], v);
  };
}

/** Converts a {0, 1} int64 mask to an additive float bias: 0 where 1, -10000 where 0. */
function maskBias(g: OnnxGraphBuilder, mask: string, axes: number[]): string {
  const m = g.node('Cast', [mask], { to: 1 });
  const bias = g.node('Mul', [g.node('Sub', [m, g.floatTensor(g.name('one'), [], new Float32Array([1]))]), g.floatTensor(g.name('big'), [], new Float32Array([10000]))]);
  return g.node('Unsqueeze', [bias, g.int64Tensor(g.name('mask_axes'), axes)]);
}

/**
 * A BERT-style encoder as Optimum exports it: inputs `input_ids`, `attention_mask`,
 * `token_type_ids` int64 [batch_size, sequence_length]; token and type embeddings, one masked
 * single-head attention, LayerNorm; outputs `last_hidden_state` float32 [batch_size,
 * sequence_length, hidden] and `pooler_output` float32 [batch_size, hidden] (tanh of the first token).
 */
export function buildBertEncoder(c: BertEncoderConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_bert_encoder', 17);
  const w = randomWeights(g, new SeededRandom(c.seed));
  const h = c.hiddenSize;
  const tf = c.dimNames === 'tf2onnx';
  const dims = tf ? ['unk__1', 'unk__2'] : ['batch_size', 'sequence_length'];
  const ids = g.input('input_ids', 'int64', dims);
  const mask = g.input('attention_mask', 'int64', tf ? ['unk__3', 'unk__4'] : dims);
  const types = g.input('token_type_ids', 'int64', tf ? ['unk__5', 'unk__6'] : dims);
  const x = g.node('Add', [g.node('Gather', [w('word_embeddings', c.vocabSize, h), ids], { axis: 0 }), g.node('Gather', [w('type_embeddings', 2, h), types], { axis: 0 })]);
  const kT = g.node('Transpose', [g.node('MatMul', [x, w('wk', h, h)])], { perm: [0, 2, 1] });
  const scores = g.node('Add', [g.node('Mul', [g.node('MatMul', [g.node('MatMul', [x, w('wq', h, h)]), kT]), g.floatTensor('scale', [], new Float32Array([1 / Math.sqrt(h)]))]), maskBias(g, mask, [1])]);
  const attn = g.node('MatMul', [g.node('Softmax', [scores], { axis: -1 }), g.node('MatMul', [x, w('wv', h, h)])]);
  const ones = g.floatTensor('ln_gamma', [h], new Float32Array(h).fill(1));
  const zeros = g.floatTensor('ln_beta', [h], new Float32Array(h));
  g.node('LayerNormalization', [g.node('Add', [x, attn]), ones, zeros], { axis: -1, epsilon: 1e-12 }, 'last_hidden_state');
  const first = g.node('Gather', ['last_hidden_state', g.int64Tensor('cls_index', [0])], { axis: 1 });
  const cls = g.node('Reshape', [first, g.int64Tensor('cls_shape', [0, h])]);
  g.node('Tanh', [g.node('MatMul', [cls, w('pooler_w', h, h)])], {}, 'pooler_output');
  g.output('last_hidden_state', 'float32', [...dims, h]);
  g.output('pooler_output', 'float32', [dims[0]!, h]);
  return g.build('warmpool-test-model-generator');
}

/**
 * A one-layer decoder with a KV cache as Optimum exports it: inputs `input_ids` int64
 * [batch_size, sequence_length], `attention_mask` int64 [batch_size, <computed>] (see `maskDim`),
 * `past_key_values.0.key` / `.value` float32 [batch_size, heads, past_sequence_length, head_dim]
 * (length 0 on the first step); outputs `logits` [batch_size, sequence_length, vocab] and
 * `present.0.key` / `.value` [batch_size, heads, past_sequence_length + sequence_length, head_dim].
 * The mask is added to the scores [b, heads, seq, past + seq] as [b, 1, 1, mask length], so a mask
 * whose length is neither past + seq nor 1 fails as it would in the real model.
 */
export function buildKvDecoder(c: KvDecoderConfig): Uint8Array {
  const g = new OnnxGraphBuilder('warmpool_kv_decoder', 17);
  const w = randomWeights(g, new SeededRandom(c.seed));
  const h = c.heads * c.headDim;
  const maskLen = c.maskDim === 'past+1' ? 'past_sequence_length + 1' : 'past_sequence_length + sequence_length';
  const ids = g.input('input_ids', 'int64', ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', 'int64', ['batch_size', maskLen]);
  const pastDims = ['batch_size', c.heads, 'past_sequence_length', c.headDim];
  const pastK = g.input('past_key_values.0.key', 'float32', pastDims);
  const pastV = g.input('past_key_values.0.value', 'float32', pastDims);
  const x = g.node('Gather', [w('embed_tokens', c.vocabSize, h), ids], { axis: 0 });
  const splitHeads = (t: string): string => g.node('Transpose', [g.node('Reshape', [t, g.int64Tensor(g.name('heads_shape'), [0, 0, c.heads, c.headDim])])], { perm: [0, 2, 1, 3] });
  const q = splitHeads(g.node('MatMul', [x, w('q_proj', h, h)]));
  const k = g.node('Concat', [pastK, splitHeads(g.node('MatMul', [x, w('k_proj', h, h)]))], { axis: 2 }, 'present.0.key');
  const v = g.node('Concat', [pastV, splitHeads(g.node('MatMul', [x, w('v_proj', h, h)]))], { axis: 2 }, 'present.0.value');
  const scores = g.node('Mul', [g.node('MatMul', [q, g.node('Transpose', [k], { perm: [0, 1, 3, 2] })]), g.floatTensor('scale', [], new Float32Array([1 / Math.sqrt(c.headDim)]))]);
  const probs = g.node('Softmax', [g.node('Add', [scores, maskBias(g, mask, [1, 2])])], { axis: -1 });
  const merged = g.node('Reshape', [g.node('Transpose', [g.node('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), g.int64Tensor('merge_shape', [0, 0, h])]);
  g.node('MatMul', [g.node('Add', [x, merged]), w('lm_head', h, c.vocabSize)], {}, 'logits');
  g.output('logits', 'float32', ['batch_size', 'sequence_length', c.vocabSize]);
  const presentDims = ['batch_size', c.heads, 'past_sequence_length + sequence_length', c.headDim];
  g.output('present.0.key', 'float32', presentDims);
  g.output('present.0.value', 'float32', presentDims);
  return g.build('warmpool-test-model-generator');
}
