import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { MODEL_NAME_PATTERN } from '@warmpool/domain';
import { ModelLoadError, TEST_MODEL_CATALOG, ensureTestModel, isTestModelName } from '@warmpool/warmup';

/** `--model` is a file, or the name of a bundled generated test model. */
export function resolveModel(arg: string): { path: string; name: string } {
  if (existsSync(arg)) return { path: arg, name: modelNameFromFile(arg) };
  if (isTestModelName(arg)) return { path: ensureTestModel(arg), name: arg };
  throw new ModelLoadError(
    'E_MODEL_MISSING',
    arg,
    `does not exist, and is not a bundled test model (${Object.keys(TEST_MODEL_CATALOG).join(', ')})`,
  );
}

/** A URL-safe model name from a file name: `My_Model.v2.onnx` → `my_model.v2`. */
export function modelNameFromFile(file: string): string {
  const stem = basename(file)
    .replace(/\.onnx$/i, '')
    .toLowerCase()
    .replace(/[^-a-z0-9_.]/g, '-')
    .replace(/^[^a-z0-9]+|[^a-z0-9]+$/g, '');
  const name = stem.slice(0, 63);
  return MODEL_NAME_PATTERN.test(name) ? name : 'model';
}

/** Default optimized-model cache: ~/.cache/warmpool/optimized-models (XDG_CACHE_HOME respected). */
export function defaultOptimizedCacheDir(): string {
  return join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'warmpool', 'optimized-models');
}
