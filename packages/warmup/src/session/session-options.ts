/** Execution providers a replica may ask ONNX Runtime for, in preference order. */
export type ExecutionProviderName = 'cuda' | 'tensorrt' | 'cpu';
export const EXECUTION_PROVIDER_NAMES: readonly ExecutionProviderName[] = ['cuda', 'tensorrt', 'cpu'];

export type GraphOptimizationLevel = 'disabled' | 'basic' | 'extended' | 'all';
export const GRAPH_OPTIMIZATION_LEVELS: readonly GraphOptimizationLevel[] = ['disabled', 'basic', 'extended', 'all'];

/** The ONNX Runtime options that matter for cold start. */
export interface SessionConfig {
  /** Tried in order; the first one that creates a session wins. Default ['cuda', 'cpu']. */
  readonly executionProviders: readonly ExecutionProviderName[];
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  /**
   * Where the optimized model is cached. A start that finds a cached optimized model for the same
   * model file, provider and level loads it with optimization off, skipping graph optimization.
   * `undefined`: no cache.
   */
  readonly optimizedModelCacheDir: string | undefined;
  /** Threads inside one operator. 1 by default: on a small shared box more threads mean p99 spikes. */
  readonly intraOpNumThreads: number;
  /** Threads across operators (only used in parallel execution mode). */
  readonly interOpNumThreads: number;
  /** ONNX Runtime log level: 0 verbose .. 4 fatal. Default 3 (errors only). */
  readonly logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}

export const SESSION_CONFIG_DEFAULTS: SessionConfig = {
  executionProviders: ['cuda', 'cpu'],
  graphOptimizationLevel: 'all',
  optimizedModelCacheDir: undefined,
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  logSeverityLevel: 3,
};
