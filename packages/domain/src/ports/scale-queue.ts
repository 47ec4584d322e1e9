import type { ScaleRequest } from './replica-provider.js';

export interface ScaleJob {
  /** Idempotent id: a second enqueue with the same id is a no-op. */
  readonly id: string;
  readonly request: ScaleRequest;
  /** Epoch ms when the job should run (spike time - lead time). */
  readonly runAtMs: number;
}

export interface EnqueueResult {
  readonly id: string;
  /** True when a job with this id already existed. */
  readonly deduplicated: boolean;
}

/** Durable (BullMQ) or in-process queue of scale jobs; same interface, one conformance suite. */
export interface ScaleQueue {
  enqueue(job: ScaleJob): Promise<EnqueueResult>;
  /** Starts processing; the handler throws to have the job retried with backoff. */
  process(handler: (job: ScaleJob) => Promise<void>): void;
  close(): Promise<void>;
}
