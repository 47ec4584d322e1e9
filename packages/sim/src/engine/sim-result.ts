/** One policy's outcome on one trace. Field names are the CLI's `--json` contract. */
export interface SimResult {
  readonly trace: string;
  readonly policy: string;
  readonly durationS: number;
  readonly totalRequests: number;
  readonly violatingRequests: number;
  readonly violatingFraction: number;
  /**
   * Requests that miss the latency target in the queueing model (FIFO queue drained at the ready capacity: a request
   * is late when its wait + service time exceeds the target), counted alongside the fluid `violatingRequests`.
   */
  readonly sloViolatingRequests: number;
  readonly sloViolatingFraction: number;
  readonly replicaSeconds: number;
  /** replicaSeconds / oracle's replicaSeconds on the same trace and settings (NaN until compared). */
  readonly costVsOracle: number;
  /** Times the policy asked for more replicas than were alive. */
  readonly scaleUps: number;
  /** Most replicas alive at once. */
  readonly maxReplicas: number;
  readonly capacityPerReplicaPerS: number;
  readonly leadS: number;
  /** Wall-clock milliseconds the run took. */
  readonly simMs: number;
}
