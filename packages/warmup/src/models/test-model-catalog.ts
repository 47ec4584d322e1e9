import { mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTransformerBlock, type TransformerBlockConfig } from './transformer-block-model.js';

/** The bundled test models, generated on demand (nothing is downloaded). */
export const TEST_MODELS: Readonly<Record<string, TransformerBlockConfig>> = {
  /** ~1.3 MB: fast enough for unit tests. */
  'tiny-transformer': { vocabSize: 2048, hiddenSize: 128, mlpSize: 512, layers: 1, seed: 7, activation: 'relu' },
  /** ~8 MB: the default demo / benchmark model. */
  'small-transformer': { vocabSize: 4096, hiddenSize: 256, mlpSize: 1024, layers: 2, seed: 11, activation: 'gelu' },
};

/** `packages/warmup/models/` (git-ignored), resolved from this file in src/ or dist/. */
export const DEFAULT_MODELS_DIR = fileURLToPath(new URL('../../models/', import.meta.url));

export function isTestModelName(name: string): boolean {
  return Object.prototype.hasOwnProperty.call(TEST_MODELS, name);
}

function versionTag(c: TransformerBlockConfig): string {
  return `v2-${c.vocabSize}-${c.hiddenSize}-${c.mlpSize}-${c.layers}-${c.seed}-${c.activation}`;
}

/**
 * Path of a generated test model, writing it first if it is not there yet. The file name carries
 * the config, so a changed generator config never reuses a stale file. Writes atomically (rename).
 */
export function ensureTestModel(name: string, dir: string = DEFAULT_MODELS_DIR): string {
  const config = TEST_MODELS[name];
  if (!config) throw new Error(`unknown test model ${JSON.stringify(name)}; known: ${Object.keys(TEST_MODELS).join(', ')}`);
  const file = join(dir, `${name}.${versionTag(config)}.onnx`);
  try {
    if (statSync(file).size > 0) return file;
  } catch {
    // not generated yet
  }
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, buildTransformerBlock(config));
  renameSync(tmp, file);
  return file;
}
