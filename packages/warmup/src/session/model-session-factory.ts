import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';
import { basename, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelLoadError } from '../errors/model-load-error.js';
import { missingProviderLibrary } from './provider-libraries.js';
import { SESSION_CONFIG_DEFAULTS, type ExecutionProviderName, type SessionConfig } from './session-options.js';

/** One failed try at an execution provider, kept so the report says why it fell back. */
export interface ProviderAttempt {
  readonly provider: ExecutionProviderName;
  readonly error: string;
}

/** A created session and how it came to be. */
export interface LoadedSession {
  readonly session: ort.InferenceSession;
  readonly modelPath: string;
  /** The provider the session actually runs on. */
  readonly executionProvider: ExecutionProviderName;
  /** Providers tried before it, with their errors. */
  readonly fallbacks: readonly ProviderAttempt[];
  /** Wall time of session creation (file read, graph optimization or cached optimized model). */
  readonly loadMs: number;
  /** True when a cached optimized model was loaded (graph optimization skipped). */
  readonly optimizedCacheHit: boolean;
  readonly optimizedModelPath: string | undefined;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message.split('\n')[0]! : String(e);
}

/**
 * Creates ONNX Runtime sessions: providers tried in configured order, each alone, so the provider
 * reported is the one actually used; optional optimized-model cache; thread counts from config.
 */
export class ModelSessionFactory {
  private readonly config: SessionConfig;

  constructor(
    config: Partial<SessionConfig> = {},
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.config = { ...SESSION_CONFIG_DEFAULTS, ...config };
  }

  async create(modelPath: string): Promise<LoadedSession> {
    const started = this.nowMs();
    let st: Stats;
    try {
      st = statSync(modelPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new ModelLoadError(
        'E_MODEL_MISSING',
        modelPath,
        code === 'ENOENT' ? 'does not exist' : `cannot be read (${describe(e)})`,
        { cause: e },
      );
    }
    if (!st.isFile()) throw new ModelLoadError('E_MODEL_MISSING', modelPath, 'is not a regular file');
    if (st.size === 0) throw new ModelLoadError('E_MODEL_CORRUPT', modelPath, 'is empty (0 bytes)');
    // ONNX Runtime reads the file itself (no second copy of the weights in the JS heap).
    const identity = `${realpathSync(modelPath)}\u0000${st.size}\u0000${st.mtimeMs}`;

    const fallbacks: ProviderAttempt[] = [];
    for (const provider of this.config.executionProviders) {
      // An accelerator whose libraries are not installed is passed over without asking ONNX Runtime (which prints a
      // red error line for it on every start); where they are installed, ONNX Runtime is asked and its error is real.
      const missing = missingProviderLibrary(provider);
      if (missing) {
        fallbacks.push({ provider, error: missing });
        continue;
      }
      try {
        const created = await this.createFor(provider, modelPath, identity);
        return { ...created, modelPath, executionProvider: provider, fallbacks, loadMs: this.nowMs() - started };
      } catch (e) {
        fallbacks.push({ provider, error: describe(e) });
        if (provider === 'cpu') {
          // The CPU provider is always there: a failure is the model's.
          throw new ModelLoadError('E_MODEL_CORRUPT', modelPath, `ONNX Runtime cannot load it: ${describe(e)}`, {
            cause: e,
          });
        }
      }
    }
    throw new ModelLoadError(
      'E_MODEL_LOAD',
      modelPath,
      `no execution provider could load it (${fallbacks.map((f) => `${f.provider}: ${f.error}`).join('; ')})`,
    );
  }

  private options(provider: ExecutionProviderName): ort.InferenceSession.SessionOptions {
    return {
      executionProviders: [provider],
      intraOpNumThreads: this.config.intraOpNumThreads,
      interOpNumThreads: this.config.interOpNumThreads,
      graphOptimizationLevel: this.config.graphOptimizationLevel,
      executionMode: 'sequential',
      // A missing accelerator provider is expected on CPU boxes: it is reported in `fallbacks`, not logged.
      logSeverityLevel: provider === 'cpu' ? this.config.logSeverityLevel : 4,
    };
  }

  /** Cache entry of one model file (path, size, mtime), provider and level. */
  private cachePath(provider: ExecutionProviderName, modelPath: string, identity: string): string | undefined {
    const dir = this.config.optimizedModelCacheDir;
    if (!dir || this.config.graphOptimizationLevel === 'disabled') return undefined;
    const digest = createHash('sha256').update(identity).digest('hex').slice(0, 16);
    const stem = basename(modelPath).replace(/\.onnx$/i, '');
    return join(dir, `${stem}.${digest}.${provider}.${this.config.graphOptimizationLevel}.opt.onnx`);
  }

  private async createFor(
    provider: ExecutionProviderName,
    modelPath: string,
    identity: string,
  ): Promise<{ session: ort.InferenceSession; optimizedCacheHit: boolean; optimizedModelPath: string | undefined }> {
    const cached = this.cachePath(provider, modelPath, identity);
    if (cached && isNonEmptyFile(cached)) {
      try {
        const session = await ort.InferenceSession.create(cached, {
          ...this.options(provider),
          graphOptimizationLevel: 'disabled',
        });
        return { session, optimizedCacheHit: true, optimizedModelPath: cached };
      } catch {
        rmSync(cached, { force: true }); // a broken cache entry is rebuilt below
      }
    }
    if (!cached) {
      return {
        session: await ort.InferenceSession.create(modelPath, this.options(provider)),
        optimizedCacheHit: false,
        optimizedModelPath: undefined,
      };
    }
    mkdirSync(this.config.optimizedModelCacheDir!, { recursive: true });
    const tmp = `${cached}.${process.pid}.${Math.floor(Math.random() * 1e9)}.tmp`;
    const session = await ort.InferenceSession.create(modelPath, {
      ...this.options(provider),
      optimizedModelFilePath: tmp,
    });
    try {
      renameSync(tmp, cached);
    } catch {
      rmSync(tmp, { force: true });
    }
    return { session, optimizedCacheHit: false, optimizedModelPath: cached };
  }
}

function isNonEmptyFile(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}
