import { Backoff, FieldReader, ValidationError } from '@warmpool/domain';
import type { RetryOptions } from './interfaces/scale-job-event.js';

export const RETRY_DEFAULTS = { attempts: 5, backoffBaseMs: 1000 } as const;

/** Longest wait between two runs of a job. */
const MAX_RETRY_DELAY_MS = 3_600_000;

/** Retry options with defaults applied, validated (errors name the option and what is allowed). */
export class BackoffPolicy {
  readonly attempts: number;
  readonly backoffBaseMs: number;
  private readonly backoff: Backoff;

  constructor(options: RetryOptions = {}, source = 'queue options') {
    const r = new FieldReader({ attempts: options.attempts, backoffBaseMs: options.backoffBaseMs });
    this.attempts = r.number('attempts', { default: RETRY_DEFAULTS.attempts, min: 1, max: 1000, integer: true });
    this.backoffBaseMs = r.number('backoffBaseMs', { default: RETRY_DEFAULTS.backoffBaseMs, min: 0, max: 86_400_000 });
    if (r.issues.length > 0) throw new ValidationError(r.issues, source);
    this.backoff = new Backoff(
      {
        maxAttempts: this.attempts,
        baseDelayMs: this.backoffBaseMs,
        maxDelayMs: Math.max(this.backoffBaseMs, MAX_RETRY_DELAY_MS),
        ...(options.random ? { random: options.random } : {}),
      },
      source,
    );
  }

  /** Wait after the `attemptsMade`-th failed run (1-based): full jitter under base, 2 x base, 4 x base, ... */
  retryDelayMs(attemptsMade: number): number {
    return this.backoff.delayMs(attemptsMade);
  }

  /** True when a job that has failed `attemptsMade` times gets another run. */
  shouldRetry(attemptsMade: number): boolean {
    return attemptsMade < this.attempts;
  }
}

/**
 * False when a handler's error says retrying cannot help (`retryable: false` on the error, e.g. a provider's 4xx):
 * the job then fails at once instead of being retried.
 */
export function isRetryable(error: unknown): boolean {
  return !(error !== null && typeof error === 'object' && (error as { retryable?: unknown }).retryable === false);
}
