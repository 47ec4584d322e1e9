import { percentile } from '@warmpool/domain';
import { countColdHits, isOk, type LoadRunResult } from '@warmpool/loadgen';
import { median } from '@warmpool/domain';
import type { DaemonDecisionRecord, OutcomeRecord, ScaleUpOutcomeName } from '../daemon/daemon-record.js';

/** One scale-up the daemon acted on, with the outcome the daemon logged for it (the same line the run printed). */
export interface ScaleUpOutcome {
  readonly id: string;
  readonly atMs: number;
  readonly from: number;
  readonly to: number;
  readonly reasons: readonly string[];
  /** `pending`: the run ended before the daemon could judge it. */
  readonly outcome: ScaleUpOutcomeName | 'pending';
  readonly readyAfterS: number | null;
  /** When the load balancer first had `to` replicas registered after the decision (null: never during the run). */
  readonly readyAtMs: number | null;
}

/** What the run is judged against, and what explains a miss. */
export interface WorldJudging {
  /** The daemon's outcome records of the run (one per scale-up it judged). */
  readonly outcomes: readonly OutcomeRecord[];
  readonly latencyTargetP95Ms?: number;
  /** CPU cores of this host (the replicas, the load generator and the daemon share them). */
  readonly cpuCount?: number;
  /** Provisioning delay of each replica (a wait, no CPU): its loading and warm-up start after it. */
  readonly provisionDelayMs?: number;
}

/** The latency SLA verdict: p95 of the run against the target, the seconds over it and what those seconds had. */
export interface SlaVerdict {
  readonly targetP95Ms: number;
  readonly p95Ms: number | null;
  readonly met: boolean;
  /** p95 minus the target, ms (0 when met). */
  readonly overByMs: number;
  /** Seconds of the replay with requests, and those whose own p95 was over the target. */
  readonly seconds: number;
  readonly secondsOver: number;
  /** Of the seconds over: a replica was loading or warming up on this host / the demand exceeded the ready capacity. */
  readonly overWhileReplicaStarting: number;
  readonly overAboveReadyCapacity: number;
  readonly overUnexplained: number;
  readonly cpuCount: number | null;
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
  /** Each scale-up is exactly one of these (the daemon's outcome records); they add up to scaleUps. */
  readonly readyAhead: number;
  readonly late: number;
  readonly notNeeded: number;
  readonly superseded: number;
  /** Scale-ups the run ended before the daemon judged. */
  readonly pending: number;
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
  /** p95 per second of the replay (seconds with requests), ms: what the dashboard plots against the SLA. */
  readonly p95PerSecondMs: ReadonlyArray<{ readonly second: number; readonly p95Ms: number }>;
  readonly sla: SlaVerdict | null;
}

/** How long replicas took from being asked for to serving, seconds (to 0.1 s). */
export interface ReplicaReadyStats {
  readonly count: number;
  readonly p50: number;
  readonly max: number;
}

/** Request to first registration of every replica that registered (a replica seen but never registered is left out). */
export function replicaReadyTimes(
  lifetimes: readonly ReplicaLifetime[],
  registeredAt: ReadonlyMap<string, number>,
): ReplicaReadyStats | null {
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
export function summarizeWorld(
  load: LoadRunResult,
  decisions: readonly DaemonDecisionRecord[],
  pool: readonly PoolEvent[],
  capacityPerReplicaPerS: number,
  replicas: ReplicaWindow,
  judging: WorldJudging = { outcomes: [] },
): WorldSummary {
  const registeredAt = registrationTimes(pool);
  const byRef = new Map(judging.outcomes.map((o) => [o.ref, o]));
  const sortedPool = [...pool].sort((a, b) => a.atMs - b.atMs);
  const readyCountAt = (ms: number): number =>
    sortedPool.filter((e) => e.atMs <= ms).reduce((n, e) => n + (e.joined ? 1 : -1), 0);
  // The scale-ups the daemon follows (OutcomeTracker): acted on, and above what it had asked for before.
  const outcomes: ScaleUpOutcome[] = decisions
    .filter((d) => d.action === 'scale-up' && d.acted === 'enqueued' && d.to > (d.desired ?? d.from))
    .map((d) => {
      const o = byRef.get(d.id);
      const atMs = Date.parse(d.time);
      const readyAtMs =
        sortedPool.find((e) => e.atMs >= atMs && e.joined && readyCountAt(e.atMs) >= d.to)?.atMs ?? null;
      return {
        id: d.id,
        atMs,
        from: d.desired ?? d.from,
        to: d.to,
        reasons: d.reasons,
        outcome: o?.outcome ?? 'pending',
        readyAfterS: o?.readyAfterS ?? null,
        readyAtMs,
      };
    });
  const count = (k: ScaleUpOutcome['outcome']): number => outcomes.filter((o) => o.outcome === k).length;
  const last = [...decisions].reverse().find((d) => d.measuredLeadTimeS !== null);
  const s = load.summary;
  const p95PerSecondMs = perSecondP95(load);
  return {
    requests: s.requests,
    ok: load.records.filter(isOk).length,
    errors: s.errors,
    p50Ms: s.p50Ms,
    p95Ms: s.p95Ms,
    p99Ms: s.p99Ms,
    scaleUps: outcomes.length,
    forecastScaleUps: outcomes.filter((o) => o.reasons.includes('ForecastScaleAhead')).length,
    readyAhead: count('ready-ahead'),
    late: count('late'),
    notNeeded: count('not-needed'),
    superseded: count('superseded'),
    pending: count('pending'),
    coldHits: countColdHits(load.records, registeredAt),
    measuredLeadTimeS: last?.measuredLeadTimeS ?? null,
    leadTimeStagesS: last?.leadTimeStagesS,
    replicaReadyS: replicaReadyTimes(replicas.lifetimes, registeredAt),
    outcomes,
    replicaSeconds: Number(replicaSecondsWithin(replicas).toFixed(1)),
    replicasStarted: replicas.lifetimes.length,
    p95PerSecondMs,
    sla:
      judging.latencyTargetP95Ms === undefined
        ? null
        : slaVerdict(load, p95PerSecondMs, judging.latencyTargetP95Ms, pool, replicas, capacityPerReplicaPerS, judging),
  };
}

/** Nearest-rank p95 of the requests sent in each second (epoch seconds), ascending. */
export function perSecondP95(load: LoadRunResult): Array<{ second: number; p95Ms: number }> {
  const bySecond = new Map<number, number[]>();
  for (const r of load.records) {
    const k = Math.floor(r.sentAtMs / 1000);
    const list = bySecond.get(k) ?? [];
    list.push(r.latencyMs);
    bySecond.set(k, list);
  }
  return [...bySecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, l]) => ({
      second,
      p95Ms: Number(
        percentile(
          l.sort((x, y) => x - y),
          0.95,
        )!.toFixed(1),
      ),
    }));
}

function slaVerdict(
  load: LoadRunResult,
  perSecond: ReadonlyArray<{ second: number; p95Ms: number }>,
  targetP95Ms: number,
  pool: readonly PoolEvent[],
  replicas: ReplicaWindow,
  capacityPerReplicaPerS: number,
  judging: WorldJudging,
): SlaVerdict {
  const p95Ms = load.summary.p95Ms;
  const over = perSecond.filter((x) => x.p95Ms > targetP95Ms);
  const registeredAt = registrationTimes(pool);
  const delay = judging.provisionDelayMs ?? 0;
  // A replica is loading and warming up from the end of its provisioning delay to its registration (or its end).
  const starting = (ms: number): boolean =>
    replicas.lifetimes.some((l) => {
      const from = l.requestedAtMs + delay;
      const to = registeredAt.get(l.id) ?? l.endedAtMs ?? l.lastSeenMs;
      return ms + 1000 > from && ms < to;
    });
  const sorted = [...pool].sort((a, b) => a.atMs - b.atMs);
  const readyAt = (ms: number): number =>
    sorted.filter((e) => e.atMs <= ms).reduce((n, e) => n + (e.joined ? 1 : -1), 0);
  const sent = new Map<number, number>();
  for (const r of load.records)
    sent.set(Math.floor(r.sentAtMs / 1000), (sent.get(Math.floor(r.sentAtMs / 1000)) ?? 0) + 1);
  let whileStarting = 0;
  let aboveCapacity = 0;
  for (const x of over) {
    const ms = x.second * 1000;
    if (starting(ms)) whileStarting++;
    else if ((sent.get(x.second) ?? 0) > readyAt(ms) * capacityPerReplicaPerS) aboveCapacity++;
  }
  const met = p95Ms !== null && p95Ms <= targetP95Ms;
  return {
    targetP95Ms,
    p95Ms,
    met,
    overByMs: p95Ms === null || met ? 0 : Number((p95Ms - targetP95Ms).toFixed(1)),
    seconds: perSecond.length,
    secondsOver: over.length,
    overWhileReplicaStarting: whileStarting,
    overAboveReadyCapacity: aboveCapacity,
    overUnexplained: over.length - whileStarting - aboveCapacity,
    cpuCount: judging.cpuCount ?? null,
  };
}

/** When each replica first registered with the load balancer (what cold hits are judged against). */
export function registrationTimes(pool: readonly PoolEvent[]): Map<string, number> {
  const registeredAt = new Map<string, number>();
  for (const e of pool) if (e.joined && !registeredAt.has(e.replicaId)) registeredAt.set(e.replicaId, e.atMs);
  return registeredAt;
}

/** The lines printed when the run ends: requests and latency, the SLA verdict, the scale-ups by outcome, lead time. */
export function formatWorldSummary(s: WorldSummary): string {
  const ms = (v: number | null): string => (v === null ? 'n/a' : `${v.toFixed(1)} ms`);
  const parts = [
    [s.readyAhead, 'ready ahead of the load'],
    [s.late, 'late (the load needed them first)'],
    [s.notNeeded, 'not needed'],
    [s.superseded, 'superseded by a newer scale-up before ready'],
    [s.pending, 'not judged yet when the run ended'],
  ] as const;
  const shown = parts.filter(([n], i) => n > 0 || i < 4).map(([n, what]) => `${n} ${what}`);
  return [
    `requests: ${s.requests} (${s.ok} ok, ${s.errors} failed); latency p50 ${ms(s.p50Ms)}, p95 ${ms(s.p95Ms)}, p99 ${ms(s.p99Ms)}`,
    ...(s.sla ? [formatSla(s.sla, s.late)] : []),
    `scale-ups: ${s.scaleUps} (${s.forecastScaleUps} planned from the forecast) = ${shown.join(' + ')} (the outcome lines above)`,
    formatLeadTime(s),
    `cold hits (requests answered by a replica before its warm-up converged): ${s.coldHits}`,
  ].join('\n');
}

function formatSla(v: SlaVerdict, late: number): string {
  const head = `SLA (latency p95 <= ${v.targetP95Ms} ms): `;
  if (v.p95Ms === null) return `${head}no requests, no verdict`;
  if (v.met)
    return `${head}met: p95 ${v.p95Ms.toFixed(1)} ms (${v.secondsOver} of ${v.seconds} s had a p95 over the target)`;
  const why: string[] = [];
  const host = v.cpuCount === null ? 'this host' : `this ${v.cpuCount}-core host`;
  if (v.overWhileReplicaStarting > 0)
    why.push(
      `${v.overWhileReplicaStarting} s while a replica was loading and warming up on ${host} (its model load and warm-up take CPU from the replicas serving)`,
    );
  if (v.overAboveReadyCapacity > 0)
    why.push(
      `${v.overAboveReadyCapacity} s with demand above the ready replicas' capacity${late > 0 ? ` (${late} scale-up${late === 1 ? '' : 's'} came late)` : ''}`,
    );
  if (v.overUnexplained > 0)
    why.push(`${v.overUnexplained} s with neither (the replicas, the load generator and the daemon share ${host})`);
  return (
    `${head}EXCEEDED: p95 ${v.p95Ms.toFixed(1)} ms, ${v.overByMs.toFixed(1)} ms (${(v.overByMs / 1000).toFixed(3)} s) over the target; ` +
    `${v.secondsOver} of ${v.seconds} s had a p95 over it${why.length ? `: ${why.join('; ')}` : ''}`
  );
}

/** The planner's lead time (p90 of measured starts) and the median stages; what the stages leave out is named. */
function formatLeadTime(s: WorldSummary): string {
  const total = s.measuredLeadTimeS;
  const ready = s.replicaReadyS
    ? `; replicas asked for to serving: median ${s.replicaReadyS.p50} s, max ${s.replicaReadyS.max} s over ${s.replicaReadyS.count}`
    : '';
  if (total === null) return `measured lead time (request to ready): n/a${ready}`;
  const st = s.leadTimeStagesS;
  if (!st) return `measured lead time (request to ready, p90): ${total.toFixed(1)} s${ready}`;
  const entries = Object.entries(st);
  const sum = entries.reduce((a, [, v]) => a + v, 0);
  const rest = total - sum;
  const stages = entries.map(([k, v]) => `${k} ${v.toFixed(1)}`).join(' + ');
  const restText =
    Math.abs(rest) < 0.05
      ? ''
      : rest > 0
        ? ` + ${rest.toFixed(1)} s the stage medians leave out (the p90 start was slower than the median one)`
        : ` - ${(-rest).toFixed(1)} s (the stage medians come from different starts than the p90 total)`;
  return `measured lead time (request to ready, p90): ${total.toFixed(1)} s = median stages ${stages} = ${sum.toFixed(1)} s${restText}${ready}`;
}
