/** One request of a load run. Times are epoch ms. */
export interface RequestRecord {
  readonly index: number;
  /** When the trace said it should go. */
  readonly scheduledAtMs: number;
  /** When it was sent (later than scheduled when all concurrency slots were busy). */
  readonly sentAtMs: number;
  /** Send to last byte of the answer (to the failure for errors). */
  readonly latencyMs: number;
  /** HTTP status; 0 for a network error, timeout or abort. */
  readonly status: number;
  /** The replica that served it (header x-warmpool-replica), if any. */
  readonly replicaId?: string;
  readonly shape: string;
  readonly error?: string;
}
