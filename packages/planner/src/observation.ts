/** What the daemon (or the simulator) observed for one model at the time of planning. */
export interface Observation {
  /** Mean demand over the last tick (requests/s); NaN when unknown. */
  readonly demandPerS: number;
  /** Busiest second over the last tick (requests/s); NaN when unknown. Drives the reactive safety net. */
  readonly peakPerS: number;
  /** Replicas ready (warm, registered) now. */
  readonly readyReplicas: number;
  /** Replicas requested but not ready yet (provisioning, loading or warming up). */
  readonly warmingReplicas: number;
  /** Measured request-to-ready time, seconds; overrides the spec's lead time when present. */
  readonly measuredLeadTimeS?: number;
  /**
   * Sustained rise of demand, requests/s per second (0 when not rising steadily). Extends the observed level of the
   * step in progress to the end of the window, so a ramp inside a coarse step is not planned as flat.
   */
  readonly risePerS2?: number;
}
