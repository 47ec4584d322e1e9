import type { SimConfig } from '../policies/sim-policy.js';

export interface SimSettings {
  /** Request-to-ready seconds (default 45). */
  readonly leadS?: number;
  /** Replicas that serve the peak second at `targetUtil` (default 20). */
  readonly peakReplicas?: number;
  /** default 0.7 */
  readonly targetUtil?: number;
  /** default 1 */
  readonly minReplicas?: number;
  /** default 10 x peakReplicas */
  readonly maxReplicas?: number;
  readonly queue?: boolean;
  /** Latency target of the queueing model, ms (default 500, the model spec's default p95 target). */
  readonly latencyTargetMs?: number;
  /** Service time of one request, ms (default 250): a request may wait target - service. */
  readonly serviceMs?: number;
}

export const SIM_DEFAULTS = {
  leadS: 45,
  peakReplicas: 20,
  targetUtil: 0.7,
  minReplicas: 1,
  queue: false,
  latencyTargetMs: 500,
  serviceMs: 250,
} as const;

/**
 * Normalizes capacity so that `peakReplicas` replicas at `targetUtil` serve the trace's peak second:
 * capacityPerS = peak / (peakReplicas x targetUtil).
 */
export function simConfigFor(demand: Float64Array, binS: number, settings: SimSettings = {}): SimConfig {
  const leadS = settings.leadS ?? SIM_DEFAULTS.leadS;
  const peakReplicas = settings.peakReplicas ?? SIM_DEFAULTS.peakReplicas;
  const targetUtil = settings.targetUtil ?? SIM_DEFAULTS.targetUtil;
  let peak = 0;
  for (let i = 0; i < demand.length; i++) if (demand[i]! > peak) peak = demand[i]!;
  const capacityPerS = peak > 0 ? peak / (peakReplicas * targetUtil) : 1;
  return {
    leadS,
    capacityPerS,
    targetUtil,
    minReplicas: settings.minReplicas ?? SIM_DEFAULTS.minReplicas,
    maxReplicas: settings.maxReplicas ?? peakReplicas * 10,
    queue: settings.queue ?? SIM_DEFAULTS.queue,
    peakReplicas,
    binS,
    latencyTargetS: (settings.latencyTargetMs ?? SIM_DEFAULTS.latencyTargetMs) / 1000,
    serviceS: (settings.serviceMs ?? SIM_DEFAULTS.serviceMs) / 1000,
  };
}
