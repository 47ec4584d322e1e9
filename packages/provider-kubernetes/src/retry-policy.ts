/** How calls to the API server are retried: exponential backoff with jitter, Retry-After honoured. */
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

/**
 * Delay before attempt `attempt + 1`: half fixed, half jittered exponential backoff; at least
 * the server's Retry-After when it sent one (capped at maxRetryAfterMs).
 */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, random: number, retryAfterS?: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exp / 2 + (exp / 2) * random;
  if (retryAfterS !== undefined) return Math.max(jittered, Math.min(policy.maxRetryAfterMs, retryAfterS * 1000));
  return jittered;
}
