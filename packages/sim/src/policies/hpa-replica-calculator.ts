/** Inputs of one HPA replica calculation for a utilization target (Kubernetes `GetResourceReplicas`). */
export interface HpaMetricInput {
  /** The scale's current replicas (spec.replicas: ready + unready). */
  readonly currentReplicas: number;
  /** Ready pods: the only ones whose usage counts in the average. */
  readonly readyPods: number;
  /** Pods still starting (pending or not ready): ignored, or taken at 0 % usage when scaling up. */
  readonly unreadyPods: number;
  /** Load per second over the metric window (the whole deployment's). */
  readonly loadPerS: number;
  /** Load per second one pod can take at 100 % of its request. */
  readonly capacityPerS: number;
  /** Target utilization, integer percent (like `averageUtilization: 70`). */
  readonly targetPercent: number;
  /** Relative tolerance (default 0.1). */
  readonly tolerance: number;
}

/**
 * Utilization in integer percent, truncated as Kubernetes computes it (`int32(metricsTotal * 100 / requestsTotal)`
 * over integer milli-values). The 1e-9 guard keeps exact ratios such as 70 % from truncating to 69 in floating point.
 */
export function utilizationPercent(loadPerS: number, pods: number, capacityPerS: number): number {
  return Math.floor((100 * loadPerS) / (pods * capacityPerS) + 1e-9);
}

/**
 * The replica count the Kubernetes replica calculator recommends (pkg/controller/podautoscaler/replica_calculator.go,
 * `GetResourceReplicas`), or null when there is no metric (no ready pod): the controller then leaves the scale alone.
 *
 * usageRatio = utilization of the ready pods / target. If no pod is unready, or usageRatio <= 1: within the
 * tolerance keep the current count, else ceil(usageRatio x readyPods). If pods are unready and usageRatio > 1
 * (a scale-up), recompute with the unready pods at 0 % usage; keep the current count if that lands within the
 * tolerance or flips the direction, else ceil(newRatio x (ready + unready)), never below the current count.
 */
export function hpaReplicaCount(m: HpaMetricInput): number | null {
  if (m.readyPods <= 0) return null;
  const usageRatio = utilizationPercent(m.loadPerS, m.readyPods, m.capacityPerS) / m.targetPercent;
  const rebalanceUnready = m.unreadyPods > 0 && usageRatio > 1;
  if (!rebalanceUnready) {
    if (Math.abs(1 - usageRatio) <= m.tolerance) return m.currentReplicas;
    return Math.ceil(usageRatio * m.readyPods);
  }
  const counted = m.readyPods + m.unreadyPods;
  const newRatio = utilizationPercent(m.loadPerS, counted, m.capacityPerS) / m.targetPercent;
  if (Math.abs(1 - newRatio) <= m.tolerance || newRatio < 1) return m.currentReplicas;
  const next = Math.ceil(newRatio * counted);
  return Math.max(next, m.currentReplicas);
}
