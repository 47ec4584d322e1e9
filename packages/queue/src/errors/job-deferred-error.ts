import { WarmpoolError } from '@warmpool/domain';

/**
 * Thrown by a scale job handler that must not run the job here and now (this worker's daemon is not the leader, or
 * its fencing token is stale): the job goes back to the queue, due again in `retryInMs`, and the attempt does not
 * count against the job's retries. Another worker (the leader's) runs it.
 */
export class JobDeferredError extends WarmpoolError {
  readonly retryInMs: number;

  constructor(detail: string, retryInMs = 1000, options?: { cause?: unknown }) {
    super('E_JOB_DEFERRED', `scale job deferred: ${detail}`, options);
    this.retryInMs = Math.max(1, Math.round(retryInMs));
  }
}

export function isJobDeferred(err: unknown): err is JobDeferredError {
  return (
    err instanceof JobDeferredError ||
    (err !== null && typeof err === 'object' && (err as { code?: unknown }).code === 'E_JOB_DEFERRED')
  );
}
