import { percentile } from '@warmpool/domain';
import { isOk, type RequestRecord } from '@warmpool/loadgen';
import type { DaemonDecisionRecord } from '../daemon/daemon-record.js';

/** One wall second of a replay: the load sent in it and what the daemon saw and forecast (its last decision in it). */
export interface TimelineSecond {
  /** Seconds after the replay start. */
  readonly t: number;
  /** Requests sent in this second (by send time). */
  readonly sent: number;
  readonly failed: number;
  /** p95 of the successful requests sent in this second (nearest rank); null when none succeeded. */
  readonly p95Ms: number | null;
  /** From the daemon's last decision in this second; null when it made none. */
  readonly forecastP50PerS: number | null;
  readonly forecastUpperPerS: number | null;
  /** The band quantile of that decision (tuned from the spec's under SLA pressure). */
  readonly bandQuantile: number | null;
  readonly ready: number | null;
  readonly warming: number | null;
  /** That decision's target replicas and its sentence (why). */
  readonly to: number | null;
  readonly message: string | null;
}

/**
 * Per wall second of a replay (`durationS` + 5 s for the requests still in flight at the end): requests sent, failed
 * and their p95 latency, next to the forecast and the ready / warming replicas of the daemon's decisions. Requests and
 * decisions outside that range are left out. What the end-to-end benchmark plots.
 */
export function worldTimeline(
  records: readonly RequestRecord[],
  decisions: readonly DaemonDecisionRecord[],
  replayStartMs: number,
  durationS: number,
): TimelineSecond[] {
  const n = Math.ceil(durationS) + 5;
  const rows = Array.from({ length: n }, (_, t) => ({
    t,
    sent: 0,
    failed: 0,
    lat: [] as number[],
    p95Ms: null as number | null,
    forecastP50PerS: null as number | null,
    forecastUpperPerS: null as number | null,
    bandQuantile: null as number | null,
    ready: null as number | null,
    warming: null as number | null,
    to: null as number | null,
    message: null as string | null,
  }));
  const second = (ms: number): number | undefined => {
    const t = Math.floor((ms - replayStartMs) / 1000);
    return t >= 0 && t < n ? t : undefined;
  };
  for (const r of records) {
    const t = second(r.sentAtMs);
    if (t === undefined) continue;
    const row = rows[t]!;
    row.sent++;
    if (isOk(r)) row.lat.push(r.latencyMs);
    else row.failed++;
  }
  for (const d of decisions) {
    const t = second(Date.parse(d.time));
    if (t === undefined) continue;
    Object.assign(rows[t]!, {
      forecastP50PerS: d.forecastP50PerS,
      forecastUpperPerS: d.forecastUpperPerS,
      bandQuantile: d.bandQuantile,
      ready: d.ready,
      warming: d.warming,
      to: d.to,
      message: d.message,
    });
  }
  return rows.map(({ lat, ...r }) => ({
    ...r,
    p95Ms: percentile(
      lat.sort((a, b) => a - b),
      0.95,
    ),
  }));
}
