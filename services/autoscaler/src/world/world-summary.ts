import { countColdHits, isOk, type LoadRunResult } from '@warmpool/loadgen';
import { median } from 'simple-statistics';
import type { DaemonDecisionRecord } from '../daemon/daemon-record.js';

/** One scale-up the daemon acted on, judged against the load that came. */
export interface ScaleUpOutcome {
  readonly atMs: number;
  readonly from: number;
  readonly to: number;
  readonly reasons: readonly string[];
  /** When `to` replicas were registered with the load balancer (null: never during the run). */
  readonly readyAtMs: number | null;
  /** First second after the decision whose requests exceeded the capacity of `from` replicas (null: never). */
  readonly neededAtMs: number | null;
  /** Ready before needed (or ready and never needed: `ahead` is true only when it was needed). */
  readonly ahead: boolean;
}

export interface WorldSummary {
  readonly requests: number;
  readonly ok: number;
  readonly errors: number;
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly scaleUps: number;
  /** Scale-ups the forecast asked for (ForecastScaleAhead). */
  readonly forecastScaleUps: number;
  /** Scale-ups whose replicas were ready before the load needed them. */
  readonly readyAhead: number;
  /** Scale-ups whose replicas came after the load needed them. */
  readonly late: number;
  readonly coldHits: number;
  /** The daemon's last measured lead time (request to ready), seconds, and its stages. */
  readonly measuredLeadTimeS: number | null;
  readonly leadTimeStagesS: Readonly<Record<string, number>> | undefined;
  /**
   * Request to first registration with the load balancer (warm, serving) of every replica the run saw register,
   * seconds, measured by the world whatever the policy (the baselines keep no lead-time estimate); null if none did.
   */
  readonly replicaReadyS: ReplicaReadyStats | null;
  readonly outcomes: readonly ScaleUpOutcome[];
  /** Seconds replicas existed during the replay (requested to ended, each clipped to the replay), to 0.1 s: the cost side. */
  readonly replicaSeconds: number;
  /** Replicas the run saw (started before or during the replay). */
  readonly replicasStarted: number;
}

/** How long replicas took from being asked for to serving, seconds (to 0.1 s). */
export interface ReplicaReadyStats {
  readonly count: number;
  readonly p50: number;
  readonly max: number;
}

/** Request to first registration of every replica that registered (a replica seen but never registered is left out). */
export function replicaReadyTimes(lifetimes: readonly ReplicaLifetime[], registeredAt: ReadonlyMap<string, number>): ReplicaReadyStats | null {
  const s = lifetimes.flatMap((l) => {
    const at = registeredAt.get(l.id);
    return at === undefined || at < l.requestedAtMs ? [] : [(at - l.requestedAtMs) / 1000];
  });
  if (s.length === 0) return null;
  const round = (v: number): number => Number(v.toFixed(1));
  return { count: s.length, p50: round(median(s)), max: round(Math.max(...s)) };
}

/** One replica's life as the provider reported it (sampled while the world runs). */
export interface ReplicaLifetime {
  readonly id: string;
  /** Epoch ms it was asked for (its provisioning delay starts then: it costs from here). */
  readonly requestedAtMs: number;
  /** Epoch ms its process ended; undefined while it runs (or if it was gone before a sample saw it end). */
  readonly endedAtMs: number | undefined;
  /** Epoch ms of the last sample that saw it: its end when `endedAtMs` was never seen. */
  readonly lastSeenMs: number;
}

/** The replicas of a run and the replay they are judged in. */
export interface ReplicaWindow {
  readonly lifetimes: readonly ReplicaLifetime[];
  readonly replayStartMs: number;
  readonly replayEndMs: number;
}

/** Sum over replicas of their time from request to end, each clipped to [replayStartMs, replayEndMs], in seconds. */
export function replicaSecondsWithin(w: ReplicaWindow): number {
  let ms = 0;
  for (const l of w.lifetimes) {
    const end = Math.min(w.replayEndMs, l.endedAtMs ?? l.lastSeenMs);
    const start = Math.max(w.replayStartMs, l.requestedAtMs);
    if (end > start) ms += end - start;
  }
  return ms / 1000;
}

/** A replica joining or leaving the load balancer's pool. */
export interface PoolEvent {
  readonly atMs: number;
  readonly replicaId: string;
  readonly joined: boolean;
}

/**
 * Sums up a local-world run: latency from the load generator, scale-ups from the decision log judged against the
 * load that came (per second, counted at send time) and the replicas the load balancer registered, cold hits
 * (answers from a replica before its registration, i.e. before its warm-up converged) and replica-seconds.
 */
export function summarizeWorld(load: LoadRunResult, decisions: readonly DaemonDecisionRecord[], pool: readonly PoolEvent[], capacityPerReplicaPerS: number, replicas: ReplicaWindow): WorldSummary {
  const registeredAt = registrationTimes(pool);
  const perSecond = new Map<number, number>();
  for (const r of load.records) {
    const s = Math.floor(r.sentAtMs / 1000);
    perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  const seconds = [...perSecond.keys()].sort((a, b) => a - b);
  const sortedPool = [...pool].sort((a, b) => a.atMs - b.atMs);
  const readyCountAt = (ms: number): number => sortedPool.filter((e) => e.atMs <= ms).reduce((n, e) => n + (e.joined ? 1 : -1), 0);
  const outcomes: ScaleUpOutcome[] = decisions
    .filter((d) => d.action === 'scale-up' && d.acted === 'enqueued')
    .map((d) => {
      const atMs = Date.parse(d.time);
      const from = d.desired ?? d.from;
      const readyEvent = sortedPool.find((e) => e.atMs >= atMs && e.joined && readyCountAt(e.atMs) >= d.to);
      const needSecond = seconds.find((s) => s * 1000 >= atMs && perSecond.get(s)! > from * capacityPerReplicaPerS);
      const readyAtMs = readyEvent?.atMs ?? null;
      const neededAtMs = needSecond === undefined ? null : needSecond * 1000;
      return { atMs, from, to: d.to, reasons: d.reasons, readyAtMs, neededAtMs, ahead: readyAtMs !== null && neededAtMs !== null && readyAtMs <= neededAtMs };
    });
  const last = [...decisions].reverse().find((d) => d.measuredLeadTimeS !== null);
  const s = load.summary;
  return {
    requests: s.requests,
    ok: load.records.filter(isOk).length,
    errors: s.errors,
    p50Ms: s.p50Ms,
    p95Ms: s.p95Ms,
    p99Ms: s.p99Ms,
    scaleUps: outcomes.length,
    forecastScaleUps: outcomes.filter((o) => o.reasons.includes('ForecastScaleAhead')).length,
    readyAhead: outcomes.filter((o) => o.ahead).length,
    late: outcomes.filter((o) => o.neededAtMs !== null && (o.readyAtMs === null || o.readyAtMs > o.neededAtMs)).length,
    coldHits: countColdHits(load.records, registeredAt),
    measuredLeadTimeS: last?.measuredLeadTimeS ?? null,
    leadTimeStagesS: last?.leadTimeStagesS,
    replicaReadyS: replicaReadyTimes(replicas.lifetimes, registeredAt),
    outcomes,
    replicaSeconds: Number(replicaSecondsWithin(replicas).toFixed(1)),
    replicasStarted: replicas.lifetimes.length,
  };
}

/** When each replica first registered with the load balancer (what cold hits are judged against). */
export function registrationTimes(pool: readonly PoolEvent[]): Map<string, number> {
  const registeredAt = new Map<string, number>();
  for (const e of pool) if (e.joined && !registeredAt.has(e.replicaId)) registeredAt.set(e.replicaId, e.atMs);
  return registeredAt;
}

/** The few lines printed when the demo ends. */
export function formatWorldSummary(s: WorldSummary): string {
  const ms = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(1)} ms`);
  const stages = s.leadTimeStagesS ? ` (${Object.entries(s.leadTimeStagesS).map(([k, v]) => `${k} ${v.toFixed(1)} s`).join(', ')})` : '';
  return [
    `requests: ${s.requests} (${s.ok} ok, ${s.errors} failed); latency p50 ${ms(s.p50Ms)}, p95 ${ms(s.p95Ms)}, p99 ${ms(s.p99Ms)}`,
    `scale-ups: ${s.scaleUps} (${s.forecastScaleUps} planned from the forecast); ${s.readyAhead} had their replicas ready before the load needed them, ${s.late} came late`,
    `measured lead time (request to ready): ${s.measuredLeadTimeS === null ? 'n/a' : `${s.measuredLeadTimeS.toFixed(1)} s`}${stages}${s.replicaReadyS ? `; replicas asked for to serving: median ${s.replicaReadyS.p50} s, max ${s.replicaReadyS.max} s over ${s.replicaReadyS.count}` : ''}`,
    `cold hits (requests answered by a replica before its warm-up converged): ${s.coldHits}`,
  ].join('\n');
}
