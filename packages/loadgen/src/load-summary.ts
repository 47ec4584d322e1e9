import { percentile } from '@warmpool/domain';
import type { RequestRecord } from './request-record.js';

export interface WindowSummary {
  /** Window start, seconds after the run start. */
  readonly startS: number;
  readonly requests: number;
  readonly errors: number;
  /** p95 of the window, failed requests counted as infinitely slow (then null). */
  readonly p95Ms: number | null;
  readonly spike: boolean;
}

export interface LoadSummary {
  readonly requests: number;
  readonly ok: number;
  /** Non-2xx answers, network errors, timeouts and aborted requests. */
  readonly errors: number;
  /** Percentiles of the successful requests (send to last byte); null when none succeeded. */
  readonly p50Ms: number | null;
  readonly p95Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  /** Requests over the latency target or failed (absent without a target). */
  readonly slaViolations: number | null;
  readonly windowS: number;
  readonly windows: readonly WindowSummary[];
  /** Windows whose p95 (failures counted as infinite) is over the target. */
  readonly spikeWindows: number | null;
  readonly latencyTargetMs: number | null;
  /** Successful requests per replica id (header x-warmpool-replica). */
  readonly byReplica: Readonly<Record<string, number>>;
  /** Longest a due request waited for a concurrency slot. */
  readonly maxQueueWaitMs: number;
}

function round(v: number | null): number | null {
  return v === null || !Number.isFinite(v) ? null : Math.round(v * 100) / 100;
}

export function isOk(r: RequestRecord): boolean {
  return r.status >= 200 && r.status < 300;
}

/**
 * Sums up a run: counts, percentiles, and per-`windowS` windows (by send time from `startMs`)
 * with their p95 and whether it is over `latencyTargetMs`.
 */
export function summarizeLoad(
  records: readonly RequestRecord[],
  opts: { startMs: number; latencyTargetMs?: number; windowS?: number },
): LoadSummary {
  const windowS = opts.windowS ?? 10;
  const target = opts.latencyTargetMs;
  const okLatencies = records
    .filter(isOk)
    .map((r) => r.latencyMs)
    .sort((a, b) => a - b);
  const byWindow = new Map<number, RequestRecord[]>();
  for (const r of records) {
    const w = Math.max(0, Math.floor((r.sentAtMs - opts.startMs) / 1000 / windowS));
    let list = byWindow.get(w);
    if (!list) {
      list = [];
      byWindow.set(w, list);
    }
    list.push(r);
  }
  const windows: WindowSummary[] = [...byWindow.keys()]
    .sort((a, b) => a - b)
    .map((w) => {
      const list = byWindow.get(w)!;
      const lat = list.map((r) => (isOk(r) ? r.latencyMs : Infinity)).sort((a, b) => a - b);
      const p95 = percentile(lat, 0.95)!;
      return {
        startS: w * windowS,
        requests: list.length,
        errors: list.filter((r) => !isOk(r)).length,
        p95Ms: round(p95),
        spike: target !== undefined && p95 > target,
      };
    });
  const byReplica: Record<string, number> = {};
  for (const r of records) if (isOk(r) && r.replicaId) byReplica[r.replicaId] = (byReplica[r.replicaId] ?? 0) + 1;
  return {
    requests: records.length,
    ok: okLatencies.length,
    errors: records.length - okLatencies.length,
    p50Ms: round(percentile(okLatencies, 0.5)),
    p95Ms: round(percentile(okLatencies, 0.95)),
    p99Ms: round(percentile(okLatencies, 0.99)),
    maxMs: round(okLatencies.length ? okLatencies[okLatencies.length - 1]! : null),
    slaViolations: target === undefined ? null : records.filter((r) => !isOk(r) || r.latencyMs > target).length,
    windowS,
    windows,
    spikeWindows: target === undefined ? null : windows.filter((w) => w.spike).length,
    latencyTargetMs: target ?? null,
    byReplica,
    maxQueueWaitMs: round(records.reduce((m, r) => Math.max(m, r.sentAtMs - r.scheduledAtMs), 0)) ?? 0,
  };
}

/**
 * Requests served by a replica before it was warm: a successful answer from a replica with no
 * known ready time, or whose ready time (e.g. its registration with the load balancer) is after
 * the answer came back.
 */
export function countColdHits(
  records: readonly RequestRecord[],
  readyAtMsByReplica: ReadonlyMap<string, number>,
): number {
  let cold = 0;
  for (const r of records) {
    if (!isOk(r)) continue;
    const readyAt = r.replicaId ? readyAtMsByReplica.get(r.replicaId) : undefined;
    if (readyAt === undefined || readyAt > r.sentAtMs + r.latencyMs) cold++;
  }
  return cold;
}
