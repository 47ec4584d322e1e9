import type { PastDemand } from '../engine/observed-demand.js';

/** Everything fixed for one simulation run. */
export interface SimConfig {
  /** Request-to-ready time of a replica, seconds (provision + load + warm-up). */
  readonly leadS: number;
  /** Requests per second one ready replica serves. */
  readonly capacityPerS: number;
  /** Utilization the reactive baselines target (HPA/KPA), as in the model spec. */
  readonly targetUtil: number;
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Unserved requests carry over as backlog (served later, counted as violating). */
  readonly queue: boolean;
  /** Replicas that serve the trace's peak second at `targetUtil` (what `static` keeps). */
  readonly peakReplicas: number;
  /** Bin width of the trace the demand came from, seconds (what a history source would offer). */
  readonly binS: number;
  /** The latency target of the queueing model, seconds (default {@link SIM_DEFAULTS}: 0.5). */
  readonly latencyTargetS?: number;
  /** Service time of one request on a ready replica, seconds (default 0.25): the queueing model's wait allowance is target - service. */
  readonly serviceS?: number;
}

/** What a policy sees at the start of second `now`. */
export interface SimView {
  readonly now: number;
  /** Ready replicas now. */
  readonly ready: number;
  /** Requested replicas still warming. */
  readonly warming: number;
  /** Replicas that will be ready by second `t`. */
  readyBy(t: number): number;
  /** Demand of past seconds only. */
  readonly observed: PastDemand;
  /** Requests waiting in the backlog (queue mode). */
  readonly backlog: number;
}

/**
 * A scaling policy under simulation. Called at the start of every second; returns the replicas it wants alive
 * (ready + warming). The engine clamps to [minReplicas, maxReplicas], requests or releases the difference.
 */
export interface SimPolicy {
  readonly name: string;
  /** Which replicas go first when the policy shrinks. Default `warming-first` (Kubernetes deletes unready pods first). */
  readonly releaseOrder?: 'warming-first' | 'ready-first';
  /** Replicas alive and ready at second 0; default: what the first lead seconds need. */
  initialReplicas?(config: SimConfig, defaultInitial: number): number;
  desired(view: SimView): number;
}

/** Builds a fresh policy for a run. `future` is the whole demand series: only the oracle may read it. */
export type SimPolicyFactory = (config: SimConfig, future: Float64Array) => SimPolicy;
