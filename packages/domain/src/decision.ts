/** Machine-readable reasons attached to every decision; users grep for these. */
export const ReasonCode = {
  /** Forecast upper quantile over [now+lead, now+lead+horizon] needs more replicas than will be ready. */
  ForecastScaleAhead: 'ForecastScaleAhead',
  /** Observed demand exceeds what the forecast said: scale up at once (panic mode). */
  ReactivePanic: 'ReactivePanic',
  /** Too little history to trust the forecast: reactive estimate with headroom. */
  ReactiveFallback: 'ReactiveFallback',
  /** Held at the minimum warm pool. */
  MinWarmPool: 'MinWarmPool',
  /** Capped at the maximum replicas. */
  MaxReplicas: 'MaxReplicas',
  /** A lower recommendation has not held for the stabilization window yet. */
  ScaleDownStabilizing: 'ScaleDownStabilizing',
  /** Scale-down withheld: the forecast needs the capacity again within the lead time. */
  KeepWarmForForecast: 'KeepWarmForForecast',
  /** Scale-down withheld: the forecast is within the scale-down hysteresis of needing the capacity that would go. */
  ScaleDownHysteresis: 'ScaleDownHysteresis',
  /** Recommendations stayed lower for the whole stabilization window. */
  ScaleDownStable: 'ScaleDownStable',
  /** Nothing to change. */
  Steady: 'Steady',
  /** Observation is missing or invalid; the decision holds the current state. */
  MissingObservation: 'MissingObservation',
  /**
   * A replica failed its warm-up, died, or stayed unready past its lead time plus a margin: it is counted as
   * failed (not warming) and replaced, with backoff and a cap on replacements per window.
   */
  ReplicaFailed: 'ReplicaFailed',
  /** Multi-model mode: GPU memory budget decides the warm tier. */
  GpuBudget: 'GpuBudget',
  /** Scale-down withheld: the burst histograms say the next burst may start within the lead time (keep-alive). */
  KeepWarmForBurst: 'KeepWarmForBurst',
  /** Scale-up ahead of a burst the gap histogram says is due one lead time from now (pre-warm). */
  PreWarmForBurst: 'PreWarmForBurst',
  /** Capacity released between bursts: holding it costs more than asking again (the keep-alive window ran out). */
  BurstKeepAliveExpired: 'BurstKeepAliveExpired',
  /**
   * Scale-down withheld: the capacity was asked for less than one lead time ago, so it is still starting (or only just
   * ready); releasing it and asking again would pay its whole lead time and warm-up again.
   */
  KeepStartingCapacity: 'KeepStartingCapacity',
  /** Reaction to a burst under way bounded by what the burst histograms say will remain when new replicas are ready. */
  BurstPanicBounded: 'BurstPanicBounded',
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

export type ScaleAction = 'scale-up' | 'scale-down' | 'hold';

/** How warm a model is kept (multi-model mode). */
export type WarmTier = 'gpu' | 'host' | 'cold';

export interface Decision {
  readonly model: string;
  /** Seconds on the caller's clock (epoch seconds in the daemon, trace seconds in the simulator). */
  readonly atS: number;
  readonly action: ScaleAction;
  /** Replicas requested (ready + warming) before the decision. */
  readonly from: number;
  readonly to: number;
  readonly reasons: readonly ReasonCode[];
  /** One sentence a person can read. */
  readonly message: string;
  readonly forecastP50PerS: number;
  readonly forecastUpperPerS: number;
  /** Quantile of the band planned with (the spec's, or tuned from the model's SLA pressure); NaN without a forecast. */
  readonly bandQuantile: number;
  readonly observedPerS: number;
  readonly leadTimeS: number;
  readonly windowStartS: number;
  readonly windowEndS: number;
}
