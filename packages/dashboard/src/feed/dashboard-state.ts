import type { ReasonCode, ScaleAction } from '@warmpool/domain';

/** The service-level spec of one model as the page shows it. */
export interface DashboardSla {
  readonly latencyTargetP95Ms: number;
  readonly capacityPerReplicaPerS: number;
  readonly minWarmReplicas: number;
  readonly maxReplicas: number;
}

/**
 * One planner tick of one model. Rates are requests per second; `null` where the daemon had no value (JSON cannot
 * carry NaN). The forecast is for the planned window `[windowStartS, windowEndS]` (ahead of `atS` by the lead time).
 */
export interface DashboardPoint {
  /** Seconds on the daemon's clock (epoch seconds in the daemon, trace seconds in a replay). */
  readonly atS: number;
  readonly observedPerS: number | null;
  readonly forecastP50PerS: number | null;
  readonly forecastUpperPerS: number | null;
  readonly windowStartS: number | null;
  readonly windowEndS: number | null;
  readonly readyReplicas: number;
  readonly warmingReplicas: number;
}

/** Request latency of one second as the load balancer's clients saw it: plotted against the SLA's p95 target. */
export interface DashboardLatencyPoint {
  /** Start of the second, on the same clock as the ticks. */
  readonly atS: number;
  readonly p95Ms: number;
  readonly requests: number;
}

/** One decision as the page lists it and marks it on the chart. */
export interface DashboardDecision {
  readonly atS: number;
  readonly action: ScaleAction;
  readonly from: number;
  readonly to: number;
  readonly reasons: readonly ReasonCode[];
  readonly message: string;
}

/** Everything the page shows for one model. Oldest first in both series. */
export interface DashboardModelState {
  readonly model: string;
  readonly sla: DashboardSla | null;
  readonly points: readonly DashboardPoint[];
  readonly decisions: readonly DashboardDecision[];
  /** Request latency p95 per second, oldest first (empty where nothing reports latency). */
  readonly latency: readonly DashboardLatencyPoint[];
}

export interface DashboardState {
  /** Models in the order they were first seen. */
  readonly models: readonly DashboardModelState[];
  /** How many points/decisions each model keeps, so the page trims the same way. */
  readonly maxPoints: number;
  readonly maxDecisions: number;
}

/** What changed since the last snapshot; the page applies these in order. */
export type DashboardEvent =
  | { readonly type: 'sla'; readonly model: string; readonly sla: DashboardSla }
  | { readonly type: 'tick'; readonly model: string; readonly point: DashboardPoint }
  | { readonly type: 'decision'; readonly model: string; readonly decision: DashboardDecision }
  | { readonly type: 'latency'; readonly model: string; readonly point: DashboardLatencyPoint };

/** The port the daemon implements (or feeds through `InMemoryDashboardFeed`) and the HTTP handler reads. */
export interface DashboardFeed {
  snapshot(): DashboardState;
  /** Returns the unsubscribe function. Listeners are called synchronously, in subscription order. */
  subscribe(listener: (event: DashboardEvent) => void): () => void;
}
