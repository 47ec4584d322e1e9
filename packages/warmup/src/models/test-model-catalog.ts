import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildClassifier, type ClassifierConfig } from './classifier-model.js';
import { buildConvNet, type ConvNetConfig } from './conv-net-model.js';
import { buildRecurrentState, type RecurrentStateConfig } from './recurrent-state-model.js';
import { buildTransformerBlock, type TransformerBlockConfig } from './transformer-block-model.js';
import { buildBertEncoder, buildKvDecoder, type BertEncoderConfig, type KvDecoderConfig } from './text-exporter-models.js';
import {
  buildAudioFeatures,
  buildFixedDetector,
  buildHalfMlp,
  buildLabelClassifier,
  buildNhwcImage,
  type AudioFeatureConfig,
  type FixedDetectorConfig,
  type HalfMlpConfig,
  type LabelClassifierConfig,
  type NhwcImageConfig,
} from './media-exporter-models.js';

/** One bundled test model: its kind, generator config and a short description. */
export type TestModelEntry =
  | { readonly kind: 'transformer'; readonly config: TransformerBlockConfig; readonly about: string }
  | { readonly kind: 'conv-net'; readonly config: ConvNetConfig; readonly about: string }
  | { readonly kind: 'recurrent'; readonly config: RecurrentStateConfig; readonly about: string }
  | { readonly kind: 'classifier'; readonly config: ClassifierConfig; readonly about: string }
  | { readonly kind: 'bert-encoder'; readonly config: BertEncoderConfig; readonly about: string }
  | { readonly kind: 'kv-decoder'; readonly config: KvDecoderConfig; readonly about: string }
  | { readonly kind: 'nhwc-image'; readonly config: NhwcImageConfig; readonly about: string }
  | { readonly kind: 'half-mlp'; readonly config: HalfMlpConfig; readonly about: string }
  | { readonly kind: 'audio-features'; readonly config: AudioFeatureConfig; readonly about: string }
  | { readonly kind: 'fixed-detector'; readonly config: FixedDetectorConfig; readonly about: string }
  | { readonly kind: 'label-classifier'; readonly config: LabelClassifierConfig; readonly about: string };

/** Every bundled test model, generated on demand (nothing is downloaded). */
export const TEST_MODEL_CATALOG: Readonly<Record<string, TestModelEntry>> = {
  'tiny-transformer': {
    kind: 'transformer',
    config: { vocabSize: 2048, hiddenSize: 128, mlpSize: 512, layers: 1, seed: 7, activation: 'relu' },
    about: '~1.3 MB: fast enough for unit tests',
  },
  'small-transformer': {
    kind: 'transformer',
    config: { vocabSize: 4096, hiddenSize: 256, mlpSize: 1024, layers: 2, seed: 11, activation: 'gelu' },
    about: '~8 MB: the default demo / benchmark model',
  },
  'tiny-convnet': {
    kind: 'conv-net',
    config: { channels: [8, 16, 32], classes: 10, seed: 13 },
    about: 'image model, dynamic batch, height and width (paddle2onnx names)',
  },
  'tiny-vad': {
    kind: 'recurrent',
    config: { frameSize: 64, hiddenSize: 32, seed: 17 },
    about: 'recurrent voice-activity model with state tensors and a rank-0 int64 sample rate',
  },
  'tiny-classifier': {
    kind: 'classifier',
    config: { features: 32, hidden: 64, classes: 5, seed: 19 },
    about: 'MLP classifier, float features, dynamic batch unk__12',
  },
  // Exporter patterns (each < 0.3 MB, generated in milliseconds).
  'tiny-bert': {
    kind: 'bert-encoder',
    config: { vocabSize: 1024, hiddenSize: 32, seed: 23 },
    about: 'Optimum BERT: input_ids, attention_mask, token_type_ids [batch_size, sequence_length]; pooler output',
  },
  'tiny-bert-tf2onnx': {
    kind: 'bert-encoder',
    config: { vocabSize: 1024, hiddenSize: 32, seed: 23, dimNames: 'tf2onnx' },
    about: 'tf2onnx BERT: each input its own placeholders, input_ids [unk__1, unk__2], attention_mask [unk__3, unk__4], ...',
  },
  'tiny-kv-decoder': {
    kind: 'kv-decoder',
    config: { vocabSize: 1024, heads: 2, headDim: 16, seed: 29, maskDim: 'past+seq' },
    about: 'decoder with KV cache, mask [batch_size, past_sequence_length + sequence_length] (Optimum merged)',
  },
  'tiny-kv-decoder-step': {
    kind: 'kv-decoder',
    config: { vocabSize: 1024, heads: 2, headDim: 16, seed: 29, maskDim: 'past+1' },
    about: 'decoder with KV cache, mask [batch_size, past_sequence_length + 1] (Optimum decoder_with_past)',
  },
  'tiny-nhwc': {
    kind: 'nhwc-image',
    config: { spatial: 'fixed', classes: 10, seed: 31 },
    about: 'tf2onnx image model, input_1 NHWC [unk__612, 224, 224, 3]',
  },
  'tiny-nhwc-dynamic': {
    kind: 'nhwc-image',
    config: { spatial: 'dynamic', classes: 10, seed: 31 },
    about: 'tf2onnx image model, input_1 NHWC [unk__612, unk__613, unk__614, 3]',
  },
  'tiny-fp16': {
    kind: 'half-mlp',
    config: { features: 32, classes: 5, seed: 37 },
    about: 'half-precision MLP, input float16 [<unnamed>, 32]',
  },
  'tiny-audio-features': {
    kind: 'audio-features',
    config: { mels: 80, channels: 32, seed: 41 },
    about: 'Whisper-like log-mel front, input_features [batch_size, 80, frames] (needs a spec: {"dims": {"frames": [3000]}})',
  },
  'tiny-yolo': {
    kind: 'fixed-detector',
    config: { size: 640, seed: 43 },
    about: 'fixed-shape detector, images [1, 3, 640, 640], output0 [1, 84, 400]',
  },
  'tiny-label-classifier': {
    kind: 'label-classifier',
    config: { features: 16, classes: 4, seed: 47 },
    about: 'skl2onnx classifier, first output the int64 label, float_input [<unnamed>, 16]',
  },
};

/** The transformer test models' configs (kept for callers that build variants of them). */
export const TEST_MODELS: Readonly<Record<string, TransformerBlockConfig>> = Object.fromEntries(
  Object.entries(TEST_MODEL_CATALOG).flatMap(([name, e]) => (e.kind === 'transformer' ? [[name, e.config]] : [])),
);

/** `packages/warmup/models/` (git-ignored), resolved from this file in src/ or dist/. */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

export function isTestModelName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(TEST_MODEL_CATALOG, name);
}

function versionTag(e: TestModelEntry): string {
  switch (e.kind) {
    case 'transformer': {
      const c = e.config;
      return `v2-${c.vocabSize}-${c.hiddenSize}-${c.mlpSize}-${c.layers}-${c.seed}-${c.activation}`;
    }
    case 'conv-net':
      return `v1-${e.config.channels.join('_')}-${e.config.classes}-${e.config.seed}`;
    case 'recurrent':
      return `v1-${e.config.frameSize}-${e.config.hiddenSize}-${e.config.seed}`;
    case 'classifier':
      return `v1-${e.config.features}-${e.config.hidden}-${e.config.classes}-${e.config.seed}`;
    default:
      return `v1-${Object.values(e.config).join('-').replace(/[^A-Za-z0-9_-]/g, '_')}`;
  }
}

function generate(e: TestModelEntry): Uint8Array {
  switch (e.kind) {
    case 'transformer':
      return buildTransformerBlock(e.config);
    case 'conv-net':
      return buildConvNet(e.config);
    case 'recurrent':
      return buildRecurrentState(e.config);
    case 'classifier':
      return buildClassifier(e.config);
    case 'bert-encoder':
      return buildBertEncoder(e.config);
    case 'kv-decoder':
      return buildKvDecoder(e.config);
    case 'nhwc-image':
      return buildNhwcImage(e.config);
    case 'half-mlp':
      return buildHalfMlp(e.config);
    case 'audio-features':
      return buildAudioFeatures(e.config);
    case 'fixed-detector':
      return buildFixedDetector(e.config);
    case 'label-classifier':
      return buildLabelClassifier(e.config);
  }
}

/**
 * Path of a generated test model, writing it first if it is not there yet. The file name carries
 * the config, so a changed generator config never reuses a stale file. Writes atomically (rename).
 */
export function ensureTestModel(name: string, dir: string = DEFAULT_MODELS_DIR): string {
  const entry = TEST_MODEL_CATALOG[name];
  if (!entry) throw new Error(`unknown test model ${JSON.stringify(name)}; known: ${Object.keys(TEST_MODEL_CATALOG).join(', ')}`);
  const file = join(dir, `${name}.${versionTag(entry)}.onnx`);
  try {
    if (statSync(file).size > 0) return file;
  } catch {
    // not generated yet
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, generate(entry));
  renameSync(tmp, file);
  return file;
}
