import { ReasonCode, type ModelSpec, type WarmTier } from '@warmpool/domain';

/** One model as the fleet planner sees it: its spec, what `plan()` asked for, and expected demand. */
export interface FleetModel {
  readonly spec: ModelSpec;
  /** Replicas `plan()` decided for this model. */
  readonly plannedReplicas: number;
  /** Expected demand over the coming horizon (forecast median), requests/s. */
  readonly expectedDemandPerS: number;
}

export interface FleetOptions {
  /** Accelerator memory all ready replicas together may hold. */
  readonly gpuBudgetBytes: number;
  /** Host memory for weights kept staged (tier `host`); default unlimited. */
  readonly hostBudgetBytes?: number;
  /** How far ahead the expected demand counts, seconds (default 300). */
  readonly horizonS?: number;
}

export interface TierDecision {
  readonly model: string;
  readonly tier: WarmTier;
  /** Replicas granted on the GPU (0 unless tier `gpu`). */
  readonly gpuReplicas: number;
  /** Expected cold-start delay this tier costs over the horizon, request-seconds (priority-weighted). */
  readonly expectedColdCostS: number;
  /** `eager`: kept ready because demand or the warm pool needs it; `lazy`: loaded on first use. */
  readonly mode: 'eager' | 'lazy';
  readonly reasons: readonly ReasonCode[];
  readonly message: string;
}

export interface FleetPlan {
  readonly tiers: readonly TierDecision[];
  readonly gpuBytesUsed: number;
  readonly hostBytesUsed: number;
}

/** Seconds from a tier to serving: `gpu` none, `host` load + warm-up, `cold` the whole lead time. */
export function coldStartS(spec: ModelSpec, tier: WarmTier): number {
  if (tier === 'gpu') return 0;
  if (tier === 'host') return spec.leadTime.loadS + spec.leadTime.warmupS;
  return spec.leadTime.provisionS + spec.leadTime.loadS + spec.leadTime.warmupS;
}

/**
 * Expected delay a tier causes over the horizon: if a request arrives (probability 1 - e^(-lambda H)), the first waits
 * the whole cold start and those arriving during it wait half of it on average. Weighted by priority.
 */
export function expectedColdCostS(spec: ModelSpec, tier: WarmTier, demandPerS: number, horizonS: number): number {
  const d = coldStartS(spec, tier);
  const lambda = Math.max(0, demandPerS);
  const pAny = 1 - Math.exp(-lambda * horizonS);
  const weight = Math.max(0.1, 1 + spec.priority / 100);
  return weight * pAny * d * (1 + (lambda * d) / 2);
}

/**
 * Multi-model mode: which models to keep warm within a GPU memory budget. Pure.
 * Eager models (the plan wants replicas, or a minimum warm pool is set) get their GPU replicas first, by priority
 * then by expected cold cost per byte; the remaining budget goes to lazy (rare) models by the cold-start cost a GPU
 * slot saves per byte. What does not fit on the GPU is staged in host memory when that is cheaper than cold, else cold.
 */
export function planFleet(models: readonly FleetModel[], options: FleetOptions): FleetPlan {
  const horizonS = options.horizonS ?? 300;
  let gpuLeft = options.gpuBudgetBytes;
  let hostLeft = options.hostBudgetBytes ?? Number.POSITIVE_INFINITY;
  let hostBytesUsed = 0;
  const scored = models.map((m) => {
    const bytes = Math.max(1, m.spec.gpuMemoryPerReplicaBytes);
    const eager = m.plannedReplicas > 0 && (m.expectedDemandPerS > 0 || m.spec.minWarmReplicas > 0);
    const saved = expectedColdCostS(m.spec, 'cold', m.expectedDemandPerS, horizonS);
    return { m, bytes, eager, density: saved / bytes };
  });
  scored.sort(
    (a, b) =>
      Number(b.eager) - Number(a.eager) ||
      b.m.spec.priority - a.m.spec.priority ||
      b.density - a.density ||
      a.m.spec.name.localeCompare(b.m.spec.name),
  );
  const tiers: TierDecision[] = [];
  for (const { m, bytes, eager } of scored) {
    const want = eager ? m.plannedReplicas : 1;
    const fit = Math.min(want, Math.floor(gpuLeft / bytes));
    const reasons: ReasonCode[] = [];
    const lazyWorthGpu = !eager && expectedColdCostS(m.spec, 'host', m.expectedDemandPerS, horizonS) > 0;
    let tier: WarmTier;
    let gpuReplicas = 0;
    if (fit > 0 && (eager || lazyWorthGpu)) {
      tier = 'gpu';
      gpuReplicas = fit;
      gpuLeft -= fit * bytes;
      if (fit < want) reasons.push(ReasonCode.GpuBudget);
    } else {
      if (eager) reasons.push(ReasonCode.GpuBudget);
      const hostBetter =
        expectedColdCostS(m.spec, 'host', m.expectedDemandPerS, horizonS) <
        expectedColdCostS(m.spec, 'cold', m.expectedDemandPerS, horizonS);
      if (hostBetter && hostLeft >= bytes) {
        tier = 'host';
        hostLeft -= bytes;
        hostBytesUsed += bytes;
      } else {
        tier = 'cold';
      }
    }
    const cost = expectedColdCostS(m.spec, tier, m.expectedDemandPerS, horizonS);
    const mode = eager ? 'eager' : 'lazy';
    const budgetNote = reasons.includes(ReasonCode.GpuBudget) ? ` (GPU budget allows ${gpuReplicas} of ${want})` : '';
    tiers.push({
      model: m.spec.name,
      tier,
      gpuReplicas,
      expectedColdCostS: cost,
      mode,
      reasons: reasons.length ? reasons : [ReasonCode.Steady],
      message: `${m.spec.name}: ${mode}, keep ${tier}${tier === 'gpu' ? ` x${gpuReplicas}` : ''}${budgetNote}; expected cold-start delay ${cost.toFixed(1)} request-s over ${horizonS}s`,
    });
  }
  tiers.sort((a, b) => a.model.localeCompare(b.model));
  return { tiers, gpuBytesUsed: options.gpuBudgetBytes - gpuLeft, hostBytesUsed };
}
