import { ValidationError, type ValidationIssue } from '@warmpool/domain';

export interface BackoffOptions {
  /** Attempts in all, the first included (default 5). */
  readonly maxAttempts?: number;
  /** Cap of the first retry's delay (default 100 ms); doubles each retry. */
  readonly baseDelayMs?: number;
  /** Cap of any delay (default 5000 ms). */
  readonly maxDelayMs?: number;
  /** Uniform [0, 1) source for the jitter (default Math.random; inject a SeededRandom in tests). */
  readonly random?: () => number;
  /** How to wait (default setTimeout); tests may inject one that records the delays. */
  readonly sleep?: (delayMs: number) => Promise<void>;
}

export const BACKOFF_DEFAULTS = { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 5000 } as const;

function defaultSleep(delayMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, delayMs));
}

/**
 * Exponential backoff with full jitter: retry n (1-based) waits uniform [0, min(max, base * 2^(n-1))).
 */
export class ExponentialBackoff {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  private readonly random: () => number;
  private readonly sleepFn: (delayMs: number) => Promise<void>;

  constructor(options: BackoffOptions = {}) {
    this.maxAttempts = options.maxAttempts ?? BACKOFF_DEFAULTS.maxAttempts;
    this.baseDelayMs = options.baseDelayMs ?? BACKOFF_DEFAULTS.baseDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? BACKOFF_DEFAULTS.maxDelayMs;
    this.random = options.random ?? Math.random;
    this.sleepFn = options.sleep ?? defaultSleep;
    const issues: ValidationIssue[] = [];
    if (!Number.isInteger(this.maxAttempts) || this.maxAttempts < 1 || this.maxAttempts > 100) {
      issues.push({ path: 'retry.maxAttempts', value: this.maxAttempts, allowed: 'an integer in [1, 100]' });
    }
    if (!Number.isFinite(this.baseDelayMs) || this.baseDelayMs < 0) {
      issues.push({ path: 'retry.baseDelayMs', value: this.baseDelayMs, allowed: 'a number >= 0' });
    }
    if (!Number.isFinite(this.maxDelayMs) || this.maxDelayMs < this.baseDelayMs) {
      issues.push({ path: 'retry.maxDelayMs', value: this.maxDelayMs, allowed: `a number >= retry.baseDelayMs (${this.baseDelayMs})` });
    }
    if (issues.length > 0) throw new ValidationError(issues, 'AWS retry options');
  }

  /** The delay before retry `retry` (1 = the first retry). */
  delayMs(retry: number): number {
    const cap = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return Math.floor(this.random() * cap);
  }

  sleep(delayMs: number): Promise<void> {
    return this.sleepFn(delayMs);
  }
}
