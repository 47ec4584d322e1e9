import { planFleet } from '@warmpool/planner';
import type { TickResult } from './model-loop.js';
import { WarmTierActor } from './warm-tier-actor.js';
import type { DaemonView } from './daemon-deps.js';

/**
 * With `gpuBudgetBytes`: after each tick, plans the fleet's warmth tiers from the models' decisions, logs them, has the
 * leader apply the changes (WarmTierActor) and tells each model loop its tier.
 */
export class FleetTierPlanner {
  /** Applies and names the fleet planner's tier changes (created on the first fleet plan). */
  private tierActor: WarmTierActor | undefined;

  constructor(private readonly daemon: DaemonView) {}

  async plan(results: readonly TickResult[]): Promise<void> {
    const d = this.daemon;
    const models = results.flatMap((r) => {
      const loop = d.loops.get(r.record.model);
      if (!loop || !r.decision) return [];
      return [
        {
          spec: loop.config.spec,
          plannedReplicas: r.decision.to,
          expectedDemandPerS: Number.isFinite(r.decision.forecastP50PerS)
            ? r.decision.forecastP50PerS
            : Math.max(0, r.decision.observedPerS || 0),
        },
      ];
    });
    if (models.length === 0) return;
    const fleet = planFleet(models, { gpuBudgetBytes: d.config.gpuBudgetBytes! });
    d.write({
      kind: 'fleet',
      time: d.iso(),
      event: 'warm-tiers',
      message: fleet.tiers.map((t) => t.message).join('; '),
      detail: {
        gpuBytesUsed: fleet.gpuBytesUsed,
        gpuBudgetBytes: d.config.gpuBudgetBytes,
        tiers: fleet.tiers.map((t) => ({
          model: t.model,
          tier: t.tier,
          gpuReplicas: t.gpuReplicas,
          mode: t.mode,
          reasons: t.reasons,
        })),
      },
    });
    // Warmth tiers that act: the leader applies each tier change where the provider can (AWS: the warm pool state).
    this.tierActor ??= new WarmTierActor(
      d.deps.provider,
      (r) => d.write(r),
      () => d.iso(),
    );
    const advise = new Set(d.config.models.filter((m) => m.spec.mode === 'advise').map((m) => m.spec.name));
    await this.tierActor.apply(fleet.tiers, {
      acting: !d.dryRun && d.campaigning && d.deps.leadership.isLeader(),
      advise,
    });
    // The next ticks plan each model with the lead time measured for its tier.
    for (const t of fleet.tiers) d.loops.get(t.model)?.setWarmTier(t.tier);
  }
}
