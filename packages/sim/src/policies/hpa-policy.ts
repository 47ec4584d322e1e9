import { hpaReplicaCount } from './hpa-replica-calculator.js';
import { observedMeanPerS } from './observed-window.js';
import { timeScaler } from './time-scale.js';
import type { SimConfig, SimPolicy, SimPolicyFactory, SimView } from './sim-policy.js';

/**
 * Kubernetes HorizontalPodAutoscaler defaults (kube-controller-manager flags and the documented default `behavior`).
 * An HPA created with no `behavior` at all takes the controller's legacy path, whose scale-up limit is
 * max(2 x current, 4); the documented default behavior used here allows max(current + 4, 2 x current) per 15 s.
 */
export interface HpaSettings {
  /** --horizontal-pod-autoscaler-sync-period (15 s). */
  readonly syncPeriodS: number;
  /** Seconds of load the utilization metric averages (60 s). */
  readonly metricWindowS: number;
  /** --horizontal-pod-autoscaler-tolerance (0.1). */
  readonly tolerance: number;
  /** Default scale-up policies: add `scaleUpPods` pods or `scaleUpPercent` % per `scaleUpPeriodS`, whichever is more. */
  readonly scaleUpPods: number;
  readonly scaleUpPercent: number;
  readonly scaleUpPeriodS: number;
  /** Default scale-down: 100 % per 15 s after a 300 s stabilization window (max recommendation over it). */
  readonly scaleDownPercent: number;
  readonly scaleDownPeriodS: number;
  readonly scaleDownStabilizationS: number;
}

export const HPA_DEFAULTS: HpaSettings = {
  syncPeriodS: 15,
  metricWindowS: 60,
  tolerance: 0.1,
  scaleUpPods: 4,
  scaleUpPercent: 100,
  scaleUpPeriodS: 15,
  scaleDownPercent: 100,
  scaleDownPeriodS: 15,
  scaleDownStabilizationS: 300,
};

interface Timestamped {
  readonly atS: number;
  readonly value: number;
}

/**
 * The HPA control loop for one scale target, as in pkg/controller/podautoscaler/horizontal.go with `behavior`
 * defaults: every sync period the replica calculator recommends a count from the utilization of ready pods
 * (warming replicas count as unready pods), the recommendation is stabilized (scale-down: the largest
 * recommendation of the last 300 s, the replicas found at the first sync counting as one; scale-up: none) and
 * rate-limited (up: max(+4 pods, +100 %) per 15 s measured from the replicas at the start of the period; down: 100 %
 * per 15 s), then clamped to [min, max].
 * Between syncs the scale is left alone. O(1) amortized per second (one 60-s sum every 15 s, <= 20 stored
 * recommendations).
 */
export class HpaController {
  private readonly recommendations: Timestamped[] = [];
  private readonly scaleEvents: Timestamped[] = [];
  private target: number | null = null;
  private readonly targetPercent: number;

  constructor(
    private readonly config: SimConfig,
    private readonly settings: HpaSettings = HPA_DEFAULTS,
  ) {
    this.targetPercent = Math.max(1, Math.round(config.targetUtil * 100));
  }

  desired(view: SimView): number {
    const current = view.ready + view.warming;
    if (view.now % this.settings.syncPeriodS === 0) this.target = this.sync(view, current);
    return this.target ?? current;
  }

  private sync(view: SimView, current: number): number {
    // recordInitialRecommendation: a controller that finds no recommendation for its target (first sync, or after a
    // restart) records the replicas it finds, so it holds them for one scale-down stabilization window. The list is
    // empty only before the first sync: stabilize() pushes a recommendation every time it prunes.
    if (this.recommendations.length === 0) this.recommendations.push({ atS: view.now, value: current });
    const { minReplicas, maxReplicas } = this.config;
    if (current > maxReplicas) return maxReplicas;
    if (current < minReplicas) return minReplicas;
    const loadPerS = observedMeanPerS(view.observed, view.now, this.settings.metricWindowS);
    if (Number.isNaN(loadPerS)) return current;
    const metricDesired = hpaReplicaCount({
      currentReplicas: current,
      readyPods: view.ready,
      unreadyPods: view.warming,
      loadPerS,
      capacityPerS: this.config.capacityPerS,
      targetPercent: this.targetPercent,
      tolerance: this.settings.tolerance,
    });
    if (metricDesired === null) return current; // no metrics: the controller reports an error and does not scale
    const stabilized = this.stabilize(view.now, current, metricDesired);
    const next = this.limitRate(view.now, current, stabilized);
    if (next !== current) this.scaleEvents.push({ atS: view.now, value: next - current });
    return next;
  }

  /** stabilizeRecommendationWithBehaviors: up window 0 s, down window 300 s (max over it, this one included). */
  private stabilize(now: number, current: number, desired: number): number {
    const cutoff = now - this.settings.scaleDownStabilizationS;
    const recs = this.recommendations;
    while (recs.length > 0 && recs[0]!.atS <= cutoff) recs.shift();
    let down = desired;
    for (const r of recs) if (r.value > down) down = r.value;
    recs.push({ atS: now, value: desired });
    let rec = current;
    if (rec < desired) rec = desired; // scale-up stabilization window 0: the up limit is this recommendation
    if (rec > down) rec = down;
    return rec;
  }

  /** convertDesiredReplicasWithBehaviorRate with the default policies. */
  private limitRate(now: number, current: number, desired: number): number {
    const s = this.settings;
    const { minReplicas, maxReplicas } = this.config;
    if (desired > current) {
      const start =
        current - this.changeSince(now - s.scaleUpPeriodS, +1) + this.changeSince(now - s.scaleUpPeriodS, -1);
      const byPods = start + s.scaleUpPods;
      const byPercent = Math.ceil(start * (1 + s.scaleUpPercent / 100));
      const limit = Math.max(current, byPods, byPercent);
      return Math.min(desired, maxReplicas, limit);
    }
    if (desired < current) {
      const start =
        current - this.changeSince(now - s.scaleDownPeriodS, +1) + this.changeSince(now - s.scaleDownPeriodS, -1);
      const limit = Math.min(current, Math.floor(start * (1 - s.scaleDownPercent / 100)));
      return Math.max(desired, minReplicas, limit);
    }
    return desired;
  }

  /** Replicas added (sign +1) or removed (sign -1) by scale events strictly after `cutoff` (events older than any period are dropped). */
  private changeSince(cutoff: number, sign: 1 | -1): number {
    const ev = this.scaleEvents;
    while (ev.length > 0 && ev[0]!.atS <= cutoff - this.settings.scaleDownPeriodS - this.settings.scaleUpPeriodS)
      ev.shift();
    let sum = 0;
    for (const e of ev) if (e.atS > cutoff && Math.sign(e.value) === sign) sum += Math.abs(e.value);
    return sum;
  }
}

/** `hpa`: Kubernetes HPA with its defaults, on request-rate utilization of ready replicas. */
export const hpaPolicy: SimPolicyFactory = hpaPolicyWith(HPA_DEFAULTS);

/** An HPA with other settings (e.g. `timeScaledHpaSettings`). */
export function hpaPolicyWith(settings: HpaSettings): SimPolicyFactory {
  return (config): SimPolicy => {
    const hpa = new HpaController(config, settings);
    return { name: 'hpa', desired: (view) => hpa.desired(view) };
  };
}

/** The settings in a world `k` times faster: every period and window scaled by `timeScaler(k)`; ratios (tolerance, rate limits) stay. */
export function timeScaledHpaSettings(k: number, s: HpaSettings = HPA_DEFAULTS): HpaSettings {
  const t = timeScaler(k);
  return {
    ...s,
    syncPeriodS: t(s.syncPeriodS),
    metricWindowS: t(s.metricWindowS),
    scaleUpPeriodS: t(s.scaleUpPeriodS),
    scaleDownPeriodS: t(s.scaleDownPeriodS),
    scaleDownStabilizationS: t(s.scaleDownStabilizationS),
  };
}
