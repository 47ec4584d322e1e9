import type { ProviderAttempt } from '../session/model-session-factory.js';
import type { SessionConfig } from '../session/session-options.js';

/** A tensor as it crosses the worker boundary (structured clone / transfer). */
export interface WireTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: ArrayBufferView;
}

export interface WireValueMetadata {
  readonly name: string;
  readonly isTensor: boolean;
  readonly type?: string;
  readonly shape?: ReadonlyArray<number | string>;
}

/** Main thread → worker. */
export type WorkerRequest =
  | { readonly kind: 'load'; readonly modelPath: string; readonly session: Partial<SessionConfig> }
  | {
      readonly kind: 'run';
      readonly id: number;
      readonly feeds: Record<string, WireTensor>;
      readonly outputs: readonly string[] | undefined;
    }
  | { readonly kind: 'release' };

export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly file?: string;
}

export interface WireLoaded {
  readonly modelPath: string;
  readonly executionProvider: 'cuda' | 'tensorrt' | 'cpu';
  readonly fallbacks: readonly ProviderAttempt[];
  readonly loadMs: number;
  readonly optimizedCacheHit: boolean;
  readonly optimizedModelPath: string | undefined;
  readonly inputMetadata: readonly WireValueMetadata[];
  readonly outputMetadata: readonly WireValueMetadata[];
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

/** Worker → main thread. */
export type WorkerReply =
  | { readonly kind: 'loaded'; readonly loaded: WireLoaded }
  | { readonly kind: 'load-failed'; readonly error: WireError }
  | {
      readonly kind: 'result';
      readonly id: number;
      readonly outputs: Record<string, WireTensor>;
      readonly runMs: number;
    }
  | { readonly kind: 'run-failed'; readonly id: number; readonly error: WireError }
  | { readonly kind: 'released' };
