import { ValidationError, type ValidationIssue } from '../errors/validation-error.js';

export interface BackoffOptions {
  /** Attempts in all, the first included (default 5; at most 1000). */
  readonly maxAttempts?: number;
  /** Cap of the first retry's delay (default 100 ms); doubles each retry. */
  readonly baseDelayMs?: number;
  /** Cap of any jittered delay (default 5000 ms). */
  readonly maxDelayMs?: number;
  /** A server's Retry-After is honoured up to this (default 30000 ms). */
  readonly maxRetryAfterMs?: number;
  /** Uniform [0, 1) source for the jitter (default Math.random; inject a SeededRandom in tests). */
  readonly random?: () => number;
  /** How to wait (default setTimeout); tests may inject one that records the delays. */
  readonly sleep?: (delayMs: number) => Promise<void>;
}

export const BACKOFF_DEFAULTS = {
  maxAttempts: 5,
  baseDelayMs: 100,
  maxDelayMs: 5000,
  maxRetryAfterMs: 30_000,
} as const;

/** What an adapter says about one failed attempt: whether another can help, and the server's Retry-After if any. */
export interface RetryVerdict {
  readonly retryable: boolean;
  /** The server asked to wait this long (Retry-After); the delay is at least this, up to maxRetryAfterMs. */
  readonly retryAfterMs?: number;
}

export interface RetryHooks {
  /** Called before each wait: the attempt that failed (1-based), its error and the delay. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
  /**
   * What to throw when giving up (default: the error itself): `exhausted` is true when the error was retryable but no
   * attempt is left, false when the adapter said retrying cannot help.
   */
  readonly giveUp?: (error: unknown, attempt: number, exhausted: boolean) => unknown;
}

function defaultSleep(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}

/**
 * The one retry loop of warmpool's adapters: exponential backoff with full jitter (retry n, 1-based, waits uniform
 * [0, min(maxDelayMs, baseDelayMs * 2^(n-1)))), at least the server's Retry-After when it sent one (capped at
 * maxRetryAfterMs). Each adapter keeps only its error classification (`classify`) and its own error on giving up.
 */
export class Backoff {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
  private readonly random: () => number;
  private readonly sleepFn: (delayMs: number) => Promise<void>;

  /** `source` names the options in validation errors (e.g. `AWS retry options`). */
  constructor(options: BackoffOptions = {}, source = 'retry options') {
    this.maxAttempts = options.maxAttempts ?? BACKOFF_DEFAULTS.maxAttempts;
    this.baseDelayMs = options.baseDelayMs ?? BACKOFF_DEFAULTS.baseDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? BACKOFF_DEFAULTS.maxDelayMs;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? BACKOFF_DEFAULTS.maxRetryAfterMs;
    this.random = options.random ?? Math.random;
    this.sleepFn = options.sleep ?? defaultSleep;
    const issues: ValidationIssue[] = [];
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1 || this.maxAttempts > 1000) {
      issues.push({ path: 'retry.maxAttempts', value: this.maxAttempts, allowed: 'an integer in [1, 1000]' });
    }
    if (!Number.isFinite(this.baseDelayMs) || this.baseDelayMs < 0) {
      issues.push({ path: 'retry.baseDelayMs', value: this.baseDelayMs, allowed: 'a number >= 0' });
    }
    if (!Number.isFinite(this.maxDelayMs) || this.maxDelayMs < this.baseDelayMs) {
      issues.push({
        path: 'retry.maxDelayMs',
        value: this.maxDelayMs,
        allowed: `a number >= retry.baseDelayMs (${this.baseDelayMs})`,
      });
    }
    if (!Number.isFinite(this.maxRetryAfterMs) || this.maxRetryAfterMs < 0) {
      issues.push({ path: 'retry.maxRetryAfterMs', value: this.maxRetryAfterMs, allowed: 'a number >= 0' });
    }
    if (issues.length > 0) throw new ValidationError(issues, source);
  }

  /** The delay before retry `retry` (1 = the first retry); at least `retryAfterMs` (capped) when the server sent one. */
  delayMs(retry: number, retryAfterMs?: number): number {
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.max(0, retry - 1));
    const jittered = Math.floor(this.random() * cap);
    if (retryAfterMs === undefined || !(retryAfterMs > 0)) return jittered;
    return Math.max(jittered, Math.min(this.maxRetryAfterMs, retryAfterMs));
  }

  sleep(delayMs: number): Promise<void> {
    return this.sleepFn(delayMs);
  }

  /**
   * Runs `call` (given the 1-based attempt) until it resolves, `classify` says its error is not retryable, or
   * maxAttempts attempts failed; then throws `hooks.giveUp`'s error (default the last error).
   */
  async run<T>(
    call: (attempt: number) => Promise<T>,
    classify: (error: unknown, attempt: number) => RetryVerdict,
    hooks: RetryHooks = {},
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await call(attempt);
      } catch (error) {
        const verdict = classify(error, attempt);
        if (!verdict.retryable || attempt >= this.maxAttempts) {
          throw hooks.giveUp ? hooks.giveUp(error, attempt, verdict.retryable) : error;
        }
        const delayMs = this.delayMs(attempt, verdict.retryAfterMs);
        hooks.onRetry?.(error, attempt, delayMs);
        await this.sleep(delayMs);
      }
    }
  }
}
