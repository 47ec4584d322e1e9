import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ExecutionProviderName } from '../session/session-options.js';

/** Shared libraries ONNX Runtime loads for an accelerator provider, per platform. */
const LIBRARIES: Partial<Record<NodeJS.Platform, Partial<Record<ExecutionProviderName, readonly string[]>>>> = {
  linux: {
    cuda: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so'],
    tensorrt: ['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_tensorrt.so'],
  },
  win32: {
    cuda: ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_cuda.dll'],
    tensorrt: ['onnxruntime_providers_shared.dll', 'onnxruntime_providers_tensorrt.dll'],
  },
};

/** Where onnxruntime-node keeps its native binding and provider libraries. */
export function onnxruntimeBindingDir(): string | undefined {
  try {
    const entry = createRequire(import.meta.url).resolve('onnxruntime-node');
    return join(dirname(entry), '..', 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return undefined;
  }
}

/**
 * Why an accelerator provider cannot load on this install, without asking ONNX Runtime (which prints a red error line
 * for a missing library on every start): its shared libraries are not next to the binding. Undefined when they are
 * there (then ONNX Runtime is asked, and an error it prints is a real one) or for `cpu`.
 */
export function missingProviderLibrary(
  provider: ExecutionProviderName,
  dir = onnxruntimeBindingDir(),
): string | undefined {
  if (provider === 'cpu' || dir === undefined) return undefined;
  const wanted = LIBRARIES[process.platform]?.[provider];
  if (!wanted) return `the ${provider} provider is not available on ${process.platform}`;
  const missing = wanted.filter((lib) => !existsSync(join(dir, lib)));
  if (missing.length === 0) return undefined;
  return `${missing.join(', ')} not installed with onnxruntime-node (${dir}); on a GPU host install it with --onnxruntime-node-install=cuda12`;
}
