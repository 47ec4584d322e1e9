import type { ScaleJob, ScaleQueue } from '@warmpool/domain';

/**
 * What happened to a scale job, for the daemon's log. `attempt` is 1-based: the attempt that just ended.
 * - `completed`: the handler returned.
 * - `retrying`: the handler threw; the job runs again in `retryInMs`.
 * - `failed`: the handler threw on the last attempt (or the job cannot be run at all); the job is given up.
 * - `stalled`: a worker lost the job mid-run (killed, or its lock expired); it is put back to run again.
 * - `error`: the queue itself has a problem (Redis connection lost, ...); jobs are kept.
 */
export type ScaleJobEvent =
  | { readonly type: 'completed'; readonly job: ScaleJob; readonly attempt: number }
  | {
      readonly type: 'retrying';
      readonly job: ScaleJob;
      readonly attempt: number;
      readonly error: Error;
      readonly retryInMs: number;
    }
  | {
      readonly type: 'failed';
      readonly job: ScaleJob | undefined;
      readonly jobId: string;
      readonly attempt: number;
      readonly error: Error;
    }
  | { readonly type: 'stalled'; readonly jobId: string }
  | { readonly type: 'error'; readonly error: Error };

export type ScaleJobEventType = ScaleJobEvent['type'];

export type ScaleJobListener = (event: ScaleJobEvent) => void;

/** A {@link ScaleQueue} that reports what happens to its jobs. */
export interface ObservableScaleQueue extends ScaleQueue {
  /** Adds a listener; returns a function that removes it. A throwing listener does not break the queue. */
  subscribe(listener: ScaleJobListener): () => void;
}

/**
 * Retry policy shared by both queues (the domain's Backoff): `attempts` runs in all, waiting uniform
 * [0, backoffBaseMs * 2^(n-1)) after the n-th failure (full jitter, at most an hour).
 */
export interface RetryOptions {
  /** Total runs of a job, first included (>= 1). Default 5. */
  readonly attempts?: number;
  /** Cap of the wait after the first failure; doubles after each further one. Default 1000. */
  readonly backoffBaseMs?: number;
  /** Uniform [0, 1) source of the jitter (default Math.random); `() => 1` waits the whole cap (tests). */
  readonly random?: () => number;
}
