import type { ReplicaInfo, ReplicaReplacement, ReplicaSetState } from '@warmpool/domain';

export interface ReplicaHealerOptions {
  /** A replica not ready this long past the lead time (or past twice the lead time, if longer) is failed. Default 30 s. */
  readonly marginS: number;
  /** Wait after a replacement before the next, doubled per replacement that did not bring a replica up. Default 5 s. */
  readonly backoffBaseS: number;
  readonly backoffMaxS: number;
  /** At most this many replicas replaced per window (a broken image does not loop). Default 5 per 600 s. */
  readonly maxPerWindow: number;
  readonly windowS: number;
}

export const REPLICA_HEALER_DEFAULTS: ReplicaHealerOptions = {
  marginS: 30,
  backoffBaseS: 5,
  backoffMaxS: 300,
  maxPerWindow: 5,
  windowS: 600,
};

/** Ids asked for already, remembered this long (the provider may act a few ticks later) and at most this many. */
const ASKED_TTL_MS = 120_000;
const ASKED_MAX = 1_024;

/** What one tick's look at the replicas found. */
export interface HealthAssessment {
  /** Every replica counted as failed this tick (phase `failed`, or unready past its deadline), with why. */
  readonly failed: readonly ReplicaReplacement[];
  /** Those to replace now (empty while backing off or capped, and for ids already asked for). */
  readonly replace: readonly ReplicaReplacement[];
  /** Why failed replicas are not replaced this tick (backoff, cap), for the decision's notes. */
  readonly heldBack?: string;
}

/**
 * Tells failed replicas from warming ones and paces their replacement. A replica is failed when its provider says so
 * (warm-up failed, process died, pod Failed, instance unhealthy) or when it has never been ready `max(lead + margin,
 * 2 × lead)` after it was requested. Replacements back off exponentially while replacements keep failing (reset once
 * a replica requested after the last replacement becomes ready) and are capped per sliding window. Time is passed in.
 */
export class ReplicaHealer {
  private readonly o: ReplicaHealerOptions;
  /** Epoch ms and count of each replacement made, inside the window. */
  private readonly recent: { atMs: number; n: number }[] = [];
  private lastAtMs: number | undefined;
  /** Replacements since a replacement last brought a replica up. */
  private streak = 0;
  private readonly asked = new Map<string, number>();

  constructor(options: Partial<ReplicaHealerOptions> = {}) {
    this.o = { ...REPLICA_HEALER_DEFAULTS, ...options };
  }

  /** The deadline (seconds after its request) past which an unready replica counts as failed. */
  deadlineS(leadTimeS: number): number {
    return Math.max(leadTimeS + this.o.marginS, 2 * leadTimeS);
  }

  assess(state: ReplicaSetState, leadTimeS: number, nowMs: number): HealthAssessment {
    this.forget(nowMs);
    if (
      this.lastAtMs !== undefined &&
      state.replicas.some((r) => r.phase === 'ready' && r.requestedAtMs >= this.lastAtMs!)
    )
      this.streak = 0;
    const deadlineS = this.deadlineS(leadTimeS);
    const failed: ReplicaReplacement[] = [];
    for (const r of state.replicas) {
      const why = this.failure(r, deadlineS, leadTimeS, nowMs);
      if (why !== undefined) failed.push({ id: r.id, reason: why });
    }
    const fresh = failed.filter((f) => !this.asked.has(f.id));
    if (fresh.length === 0) return { failed, replace: [] };
    const used = this.recent.reduce((a, e) => a + e.n, 0);
    const room = this.o.maxPerWindow - used;
    if (room <= 0) {
      const nextS = Math.ceil((this.recent[0]!.atMs + this.o.windowS * 1000 - nowMs) / 1000);
      return {
        failed,
        replace: [],
        heldBack: `replacements capped: ${used} in the last ${this.o.windowS} s (max ${this.o.maxPerWindow}; a broken image or model?); next possible in ${nextS} s`,
      };
    }
    const waitMs = this.backoffMs();
    if (this.lastAtMs !== undefined && nowMs - this.lastAtMs < waitMs) {
      return {
        failed,
        replace: [],
        heldBack: `backing off: ${this.streak} replacement(s) without a replica coming up; next in ${Math.ceil((this.lastAtMs + waitMs - nowMs) / 1000)} s`,
      };
    }
    return { failed, replace: fresh.slice(0, room) };
  }

  /** The replacements were handed to the queue. */
  replaced(replace: readonly ReplicaReplacement[], nowMs: number): void {
    if (replace.length === 0) return;
    this.recent.push({ atMs: nowMs, n: replace.length });
    this.lastAtMs = nowMs;
    this.streak++;
    for (const r of replace) {
      this.asked.delete(r.id);
      this.asked.set(r.id, nowMs);
    }
    while (this.asked.size > ASKED_MAX) this.asked.delete(this.asked.keys().next().value!);
  }

  private backoffMs(): number {
    if (this.streak === 0) return 0;
    return Math.min(this.o.backoffMaxS, this.o.backoffBaseS * 2 ** (this.streak - 1)) * 1000;
  }

  private failure(r: ReplicaInfo, deadlineS: number, leadTimeS: number, nowMs: number): string | undefined {
    if (r.phase === 'failed') return r.reason ? `failed: ${r.reason}` : 'failed (the provider reports it failed)';
    if (r.phase !== 'provisioning' && r.phase !== 'loading' && r.phase !== 'warming') return undefined;
    // Warm once, out of rotation now (the load balancer took it out for a slow answer, and re-adds it when healthy):
    // not a stuck warm-up. A replica that died is reported `failed` by its provider.
    if (r.readyAtMs !== undefined) return undefined;
    const ageS = (nowMs - r.requestedAtMs) / 1000;
    if (ageS <= deadlineS) return undefined;
    return `not ready ${ageS.toFixed(0)} s after it was requested (still ${r.phase}; lead time ${leadTimeS.toFixed(0)} s, failed past ${deadlineS.toFixed(0)} s)`;
  }

  private forget(nowMs: number): void {
    while (this.recent.length > 0 && nowMs - this.recent[0]!.atMs >= this.o.windowS * 1000) this.recent.shift();
    for (const [id, atMs] of this.asked) {
      if (nowMs - atMs < ASKED_TTL_MS) break;
      this.asked.delete(id);
    }
  }
}
