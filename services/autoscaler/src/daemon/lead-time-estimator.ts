import { percentile, type ReplicaPhase, type ReplicaSetState } from '@warmpool/domain';

/** Stages of a replica's way to ready, in order; `provisioning` starts at the request. */
const STAGES = ['provisioning', 'loading', 'warming'] as const;
type Stage = (typeof STAGES)[number];

interface Tracked {
  readonly requestedAtMs: number;
  /** The model's warmth tier when the replica was first seen (it came up from that tier). */
  readonly tier: string | undefined;
  /** First time this daemon saw the replica in each phase. */
  readonly firstSeenMs: Partial<Record<ReplicaPhase, number>>;
  done: boolean;
}

/** One replica's way from request to ready. */
export interface LeadTimeSample {
  readonly totalS: number;
  /** The warmth tier (`gpu`, `host`, `cold`) the model was in when the replica was asked for, when the fleet planner runs. */
  readonly tier?: string;
  /** Seconds per stage, from the phases the daemon saw (a stage it never saw counts 0). */
  readonly stagesS: Readonly<Record<Stage, number>>;
}

export interface LeadTimeEstimate {
  /** p90 of the last samples (nearest rank), undefined until `minSamples` were seen. */
  readonly leadTimeS: number | undefined;
  /** Median seconds per stage over the last samples. */
  readonly stagesS: Readonly<Record<Stage, number>> | undefined;
  readonly samples: number;
  /** Set when the estimate is made of the samples of this warmth tier only (enough of them in the window). */
  readonly tier?: string;
}

/** Nearest-rank quantile of a non-empty list. */
function quantile(values: readonly number[], q: number): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    q,
  )!;
}

/**
 * Measures one model's real lead time from the provider's replica states: request (`requestedAtMs`) to ready
 * (`readyAtMs`), split by the phases seen on the way. Only replicas first seen before they were ready count (a pod
 * that was already serving when the daemon started says nothing about today's lead time). The estimate is the p90 of
 * the last `window` samples: robust to one slow node, quick to follow a real change.
 */
export class LeadTimeEstimator {
  private readonly tracked = new Map<string, Tracked>();
  private readonly samples: LeadTimeSample[] = [];

  constructor(
    private readonly window = 20,
    private readonly minSamples = 3,
  ) {}

  /** `tier`: the model's warmth tier now; replicas first seen now are tagged with it (lead time per tier). */
  observe(state: ReplicaSetState, nowMs: number, tier?: string): LeadTimeSample[] {
    const added: LeadTimeSample[] = [];
    const present = new Set<string>();
    for (const r of state.replicas) {
      present.add(r.id);
      let t = this.tracked.get(r.id);
      if (!t) {
        // A provider that knows which tier a replica came up through says so (local: `host` for a promoted standby).
        const own = (r as { readonly warmTier?: unknown }).warmTier;
        t = {
          requestedAtMs: r.requestedAtMs,
          tier: own === 'gpu' || own === 'host' || own === 'cold' ? own : tier,
          firstSeenMs: {},
          done: r.phase === 'ready',
        };
        this.tracked.set(r.id, t);
      }
      if (t.firstSeenMs[r.phase] === undefined)
        t.firstSeenMs[r.phase] = r.phase === 'ready' && r.readyAtMs !== undefined ? r.readyAtMs : nowMs;
      if (t.done || r.phase !== 'ready') {
        if (r.phase === 'failed' || r.phase === 'draining') t.done = true;
        continue;
      }
      t.done = true;
      const readyAtMs = r.readyAtMs ?? nowMs;
      const totalS = Math.max(0, (readyAtMs - t.requestedAtMs) / 1000);
      // Exact stage stamps when the provider has them (the local provider's processStartedAtMs / warmingAtMs),
      // else the first tick that saw the phase.
      const stamps = r as { readonly processStartedAtMs?: unknown; readonly warmingAtMs?: unknown };
      const loadingAt =
        typeof stamps.processStartedAtMs === 'number' ? stamps.processStartedAtMs : (t.firstSeenMs.loading ?? NaN);
      const warmingAt = typeof stamps.warmingAtMs === 'number' ? stamps.warmingAtMs : (t.firstSeenMs.warming ?? NaN);
      const starts: number[] = [t.requestedAtMs, loadingAt, warmingAt, readyAtMs];
      const stagesS = {} as Record<Stage, number>;
      STAGES.forEach((stage, i) => {
        const from = starts[i]!;
        const next = starts.slice(i + 1).find((v) => Number.isFinite(v)) ?? readyAtMs;
        stagesS[stage] = Number.isFinite(from) ? Math.max(0, (next - from) / 1000) : 0;
      });
      const sample: LeadTimeSample = { totalS, stagesS, ...(t.tier !== undefined ? { tier: t.tier } : {}) };
      this.samples.push(sample);
      if (this.samples.length > this.window) this.samples.shift();
      added.push(sample);
    }
    for (const id of this.tracked.keys()) if (!present.has(id)) this.tracked.delete(id);
    return added;
  }

  /** The samples the estimate is made of, oldest first (for a checkpoint). */
  snapshot(): LeadTimeSample[] {
    return this.samples.map((s) => ({
      totalS: s.totalS,
      stagesS: { ...s.stagesS },
      ...(s.tier !== undefined ? { tier: s.tier } : {}),
    }));
  }

  /**
   * Puts checkpointed samples back (a restarted or new leader keeps the measured lead time instead of falling back
   * to the configured one); malformed entries are skipped, the window bound holds. Returns how many were taken.
   */
  restore(samples: readonly unknown[]): number {
    let n = 0;
    for (const raw of samples.slice(-this.window)) {
      const s = raw as Partial<LeadTimeSample> | null;
      const st = s?.stagesS as Partial<Record<Stage, unknown>> | undefined;
      if (
        !s ||
        typeof s.totalS !== 'number' ||
        !Number.isFinite(s.totalS) ||
        s.totalS < 0 ||
        !st ||
        !STAGES.every((k) => typeof st[k] === 'number' && Number.isFinite(st[k]))
      )
        continue;
      const tier = typeof s.tier === 'string' && ['gpu', 'host', 'cold'].includes(s.tier) ? { tier: s.tier } : {};
      this.samples.push({
        totalS: s.totalS,
        stagesS: {
          provisioning: st.provisioning as number,
          loading: st.loading as number,
          warming: st.warming as number,
        },
        ...tier,
      });
      if (this.samples.length > this.window) this.samples.shift();
      n++;
    }
    return n;
  }

  /**
   * `tier`: the lead time measured for that warmth tier (a launch from a Running warm pool is not one from a Stopped
   * one) when the window holds `minSamples` of it; else, as without a tier, over all samples.
   */
  estimate(tier?: string): LeadTimeEstimate {
    const ofTier = tier === undefined ? [] : this.samples.filter((x) => x.tier === tier);
    const use = ofTier.length >= this.minSamples ? ofTier : this.samples;
    const n = use.length;
    if (n < this.minSamples) return { leadTimeS: undefined, stagesS: undefined, samples: n };
    const stagesS = {} as Record<Stage, number>;
    for (const s of STAGES)
      stagesS[s] = Number(
        quantile(
          use.map((x) => x.stagesS[s]),
          0.5,
        ).toFixed(3),
      );
    return {
      leadTimeS: Number(
        quantile(
          use.map((x) => x.totalS),
          0.9,
        ).toFixed(3),
      ),
      stagesS,
      samples: n,
      ...(use === ofTier ? { tier: tier! } : {}),
    };
  }
}
