import { WarmpoolError } from '@warmpool/domain';

/**
 * Redis did not answer an operation in time (down, unreachable, or reconnecting).
 * Names the Redis URL (password redacted) and the operation, so an operator knows what to check.
 */
export class RedisUnavailableError extends WarmpoolError {
  /** The Redis URL with any password replaced by `***`. */
  readonly redisUrl: string;
  readonly operation: string;

  constructor(redisUrl: string, operation: string, detail: string, options?: { cause?: unknown }) {
    super('E_REDIS_UNAVAILABLE', `Redis at ${redisUrl} unavailable: ${operation}: ${detail}`, options);
    this.redisUrl = redisUrl;
    this.operation = operation;
  }
}
