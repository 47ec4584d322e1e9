import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildClassifier, type ClassifierConfig } from './classifier-model.js';
import { buildConvNet, type ConvNetConfig } from './conv-net-model.js';
import { buildRecurrentState, type RecurrentStateConfig } from './recurrent-state-model.js';
import { buildTransformerBlock, type TransformerBlockConfig } from './transformer-block-model.js';

/** One bundled test model: its kind, generator config and a short description. */
export type TestModelEntry =
  | { readonly kind: 'transformer'; readonly config: TransformerBlockConfig; readonly about: string }
  | { readonly kind: 'conv-net'; readonly config: ConvNetConfig; readonly about: string }
  | { readonly kind: 'recurrent'; readonly config: RecurrentStateConfig; readonly about: string }
  | { readonly kind: 'classifier'; readonly config: ClassifierConfig; readonly about: string };

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
