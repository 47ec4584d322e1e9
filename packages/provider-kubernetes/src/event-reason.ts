import { ReasonCode, type Decision } from '@warmpool/domain';

/** Reasons of the Events warmpool emits; users grep for these (`kubectl get events --field-selector reason=ScaleAhead`). */
export const EventReason = {
  /** Scaled up ahead of forecast demand. */
  ScaleAhead: 'ScaleAhead',
  /** Scaled up for present demand (reactive fallback, warm-pool minimum). */
  ScaleUp: 'ScaleUp',
  /** Observed demand beat the forecast: immediate scale-up. */
  ReactivePanic: ReasonCode.ReactivePanic,
  ScaleDown: 'ScaleDown',
  /** Scale-down withheld because the forecast needs the capacity again soon. */
  KeepWarm: 'KeepWarm',
  /** Demand data missing: holding the current size. */
  MissingObservation: ReasonCode.MissingObservation,
  /** A pod failed (warm-up failed, died, or unready past its lead time + margin) and warmpool deleted it to have it replaced. */
  ReplicaFailed: ReasonCode.ReplicaFailed,
  /** A scale action failed after its retries. */
  ScaleFailed: 'ScaleFailed',
  LeaderElected: 'LeaderElected',
} as const;
export type EventReason = (typeof EventReason)[keyof typeof EventReason];

export type EventType = 'Normal' | 'Warning';

export interface EventSpec {
  readonly reason: EventReason | string;
  readonly type: EventType;
  readonly message: string;
  /** What was done, e.g. `Scale` (core/v1 Event `action`). */
  readonly action?: string;
}

/**
 * The Event for a decision, or undefined for a plain hold (no noise in `kubectl get events`).
 */
export function eventForDecision(d: Decision): EventSpec | undefined {
  const has = (r: ReasonCode): boolean => d.reasons.includes(r);
  const detail =
    `${d.message} (${d.from} -> ${d.to} replicas; reasons ${d.reasons.join(',') || 'none'}; ` +
    `forecast p50 ${d.forecastP50PerS.toFixed(2)}/s upper ${d.forecastUpperPerS.toFixed(2)}/s, observed ${d.observedPerS.toFixed(2)}/s, lead ${d.leadTimeS}s)`;
  const message = detail.length > 1024 ? `${detail.slice(0, 1021)}...` : detail;
  if (d.action === 'scale-up') {
    if (has(ReasonCode.ReactivePanic))
      return { reason: EventReason.ReactivePanic, type: 'Warning', message, action: 'Scale' };
    if (has(ReasonCode.ForecastScaleAhead))
      return { reason: EventReason.ScaleAhead, type: 'Normal', message, action: 'Scale' };
    return { reason: EventReason.ScaleUp, type: 'Normal', message, action: 'Scale' };
  }
  if (d.action === 'scale-down') return { reason: EventReason.ScaleDown, type: 'Normal', message, action: 'Scale' };
  if (has(ReasonCode.KeepWarmForForecast))
    return { reason: EventReason.KeepWarm, type: 'Normal', message, action: 'Hold' };
  if (has(ReasonCode.MissingObservation))
    return { reason: EventReason.MissingObservation, type: 'Warning', message, action: 'Hold' };
  return undefined;
}
