import type { ReasonCode, ScaleAction } from '@warmpool/domain';

export interface ExplainFacts {
  readonly leadS: number;
  readonly observedPeak: number;
  readonly upper: number;
  readonly windowStartS: number;
  readonly windowEndS: number;
  readonly nowS: number;
  /** The band's quantile, named when the SLA-pressure tuning raised it (from `tuning.from`). */
  readonly quantile?: number;
  readonly tuning?: QuantileRaise;
  /** Set when a scale-down was considered under a release quantile above the band's: the band over the lead time at it. */
  readonly release?: { readonly quantile: number; readonly upperPerS: number };
}

/** How the SLA-pressure tuning raised a band's quantile: from what, and on what share of ticks at risk. */
export interface QuantileRaise {
  readonly from: number;
  readonly riskShare: number;
  readonly riskUtilization: number;
}

const TEXT: Record<ReasonCode, string> = {
  ForecastScaleAhead: 'forecast needs more capacity once the lead time has passed',
  ReactivePanic: 'observed demand beat the forecast (panic mode: scale at once, no scale-down)',
  ReactiveFallback: 'too little history to trust a forecast: reactive estimate with headroom',
  MinWarmPool: 'held at the minimum warm pool',
  MaxReplicas: 'capped at max replicas',
  ScaleDownStabilizing: 'lower recommendation not yet stable for the stabilization window',
  KeepWarmForForecast: 'capacity kept warm: the forecast needs it again within the lead time',
  ScaleDownHysteresis: 'the forecast is within the scale-down hysteresis of needing the capacity that would go',
  ScaleDownStable: 'lower recommendation held for the stabilization window',
  Steady: 'capacity matches the plan',
  MissingObservation: 'no valid observation of demand',
  ReplicaFailed: 'a replica failed (warm-up failed, died, or unready past its lead time plus a margin): replacing it',
  GpuBudget: 'GPU memory budget decided the warm tier',
  KeepWarmForBurst: 'capacity kept warm between bursts: the next burst may start within the lead time (keep-alive)',
  PreWarmForBurst: 'pre-warming: the gap between bursts says the next one is due once the lead time has passed',
  BurstKeepAliveExpired:
    'released between bursts: holding the capacity costs more than asking again before the next burst',
  KeepStartingCapacity:
    'capacity asked for less than one lead time ago is kept: it is still starting, and asking again would pay its lead time again',
  BurstPanicBounded: 'burst reaction bounded to what will still be needed when new replicas are ready',
};

/** One sentence a person can read, built from the machine-readable reasons. */
export function explain(
  action: ScaleAction,
  from: number,
  to: number,
  reasons: readonly ReasonCode[],
  f: ExplainFacts,
): string {
  const head = action === 'hold' ? `hold at ${from}` : `${action} ${from} -> ${to}`;
  const why = reasons.map((r) => TEXT[r]).join('; ');
  const band = Number.isFinite(f.upper)
    ? `; forecast upper ${f.upper.toFixed(2)}/s${tuned(f)} over [+${(f.windowStartS - f.nowS).toFixed(0)}s, +${(f.windowEndS - f.nowS).toFixed(0)}s]`
    : '';
  const release = f.release
    ? `; release band ${f.release.upperPerS.toFixed(2)}/s at q${f.release.quantile} within the lead time`
    : '';
  return `${head}: ${why} (observed peak ${f.observedPeak.toFixed(2)}/s, lead ${f.leadS.toFixed(0)}s${band}${release})`;
}

function tuned(f: ExplainFacts): string {
  const t = f.tuning;
  if (f.quantile === undefined || !t || !(f.quantile > t.from)) return '';
  return ` at q${f.quantile.toFixed(3)} (raised from ${t.from} by SLA pressure: ${(100 * t.riskShare).toFixed(1)} % of ticks at >= ${(100 * t.riskUtilization).toFixed(0)} % of the ready capacity)`;
}
