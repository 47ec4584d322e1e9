/** How calls to the API server are retried: the domain's Backoff (full jitter, Retry-After honoured). */
export interface RetryPolicy {
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A server's Retry-After is honoured up to this. */
  readonly maxRetryAfterMs: number;
  /** Each request is aborted after this long and counts as a timeout. */
  readonly requestTimeoutMs: number;
  /** Re-reads after a 409 Conflict (optimistic concurrency) before giving up. */
  readonly maxConflictRetries: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 200,
  maxDelayMs: 5000,
  maxRetryAfterMs: 30000,
  requestTimeoutMs: 10000,
  maxConflictRetries: 5,
};

/** What a retry loop needs from the outside world; injected so tests do not wait. */
export interface RetryEnv {
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

export const realRetryEnv: RetryEnv = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};
