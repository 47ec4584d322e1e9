import type { ReplicaProvider, WarmTier } from '@warmpool/domain';
import { loggedError, type DaemonLogRecord } from './daemon-record.js';

/** A provider that can make a warmth tier act (the AWS provider: the warm pool state). */
export interface WarmTierProvider {
  /** `description`: what was done, when the provider says it in its own words (local: the standbys kept). */
  setWarmTier(
    model: string,
    tier: WarmTier,
  ): Promise<{ readonly poolState: string | undefined; readonly changed: boolean; readonly description?: string }>;
}

function canSetTier(p: ReplicaProvider): p is ReplicaProvider & WarmTierProvider {
  return typeof (p as Partial<WarmTierProvider>).setWarmTier === 'function';
}

/** How the daemon may act this tick. */
export interface TierActMode {
  /** Leader, campaigning, not dry-run. */
  readonly acting: boolean;
  /** Models in `mode: advise`: their tier is logged, never applied. */
  readonly advise: ReadonlySet<string>;
}

/**
 * Warmth tiers that act. Every tier change of a model (from the fleet planner, each tick) is a `fleet` record
 * `warm-tier-changed` naming the model, the tiers from and to, and what was done: on a provider with
 * `setWarmTier` (AWS: the group's warm pool state; local: host-tier standbys) the leader applies it, and a failure is logged and tried again
 * next tick; elsewhere (Kubernetes) the record says the tier is not applied there. Bounded: one entry per
 * model the fleet planner names (configured models only).
 */
export class WarmTierActor {
  /** Model → the tier last seen (for naming changes). */
  private readonly seen = new Map<string, WarmTier>();
  /** Model → the tier the provider was last made to hold. */
  private readonly applied = new Map<string, WarmTier>();

  constructor(
    private readonly provider: ReplicaProvider,
    private readonly write: (record: DaemonLogRecord) => void,
    private readonly iso: () => string,
  ) {}

  async apply(tiers: readonly { readonly model: string; readonly tier: WarmTier }[], mode: TierActMode): Promise<void> {
    const present = new Set(tiers.map((t) => t.model));
    for (const m of [...this.seen.keys()]) if (!present.has(m)) this.seen.delete(m);
    for (const m of [...this.applied.keys()]) if (!present.has(m)) this.applied.delete(m);
    for (const { model, tier } of tiers) {
      const before = this.seen.get(model);
      const changed = before !== tier;
      this.seen.set(model, tier);
      const mayApply = mode.acting && !mode.advise.has(model) && canSetTier(this.provider);
      if (!mayApply || this.applied.get(model) === tier) {
        if (changed) this.record(model, before, tier, this.notApplied(model, mode));
        continue;
      }
      try {
        const r = await (this.provider as ReplicaProvider & WarmTierProvider).setWarmTier(model, tier);
        this.applied.set(model, tier);
        const what =
          r.description ??
          (r.poolState === undefined
            ? 'its group has no warm pool to set'
            : `warm pool ${r.poolState}${r.changed ? '' : ' (already)'}`);
        if (changed || r.changed) this.record(model, before, tier, what, r.poolState);
      } catch (err) {
        this.write({
          kind: 'error',
          time: this.iso(),
          model,
          event: 'warm-tier-failed',
          message: `could not apply warmth tier ${tier}; the next tick tries again`,
          error: loggedError('scale', err),
        });
      }
    }
  }

  private notApplied(model: string, mode: TierActMode): string {
    if (mode.advise.has(model)) return 'not applied (mode: advise)';
    if (!canSetTier(this.provider)) return `not applied: provider ${this.provider.name} has no warmth tiers to set`;
    return 'not applied (this daemon does not act: standby or dry run)';
  }

  private record(model: string, from: WarmTier | undefined, to: WarmTier, what: string, poolState?: string): void {
    this.write({
      kind: 'fleet',
      time: this.iso(),
      model,
      event: 'warm-tier-changed',
      message: `${model}: warmth tier ${from ?? '(none)'} -> ${to}: ${what}`,
      detail: { from: from ?? null, to, ...(poolState !== undefined ? { poolState } : {}) },
    });
  }
}
