import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '@warmpool/loadgen';
import { worldTimeline } from '../src/world/world-timeline.js';
import type { DaemonDecisionRecord } from '../src/daemon/daemon-record.js';

describe('worldTimeline', () => {
  const T = 1_800_000_000_000;
  const rec = (i: number, sentAtMs: number, latencyMs: number, status = 200): RequestRecord => ({
    index: i,
    scheduledAtMs: sentAtMs,
    sentAtMs,
    latencyMs,
    status,
    shape: '1x8',
  });
  const decision = (
    atMs: number,
    p50: number | null,
    upper: number | null,
    ready: number,
    warming: number,
    bandQuantile: number | null = p50 === null ? null : 0.93,
  ): DaemonDecisionRecord =>
    ({
      kind: 'decision',
      time: new Date(atMs).toISOString(),
      model: 'm',
      action: 'hold',
      from: ready,
      to: ready,
      reasons: [],
      message: `hold at ${ready}`,
      forecastP50PerS: p50,
      forecastUpperPerS: upper,
      bandQuantile,
      ready,
      warming,
      acted: 'none',
    }) as unknown as DaemonDecisionRecord;

  it('per second of the replay: sent, failed, p95 of the answered, and the last decision of the second', () => {
    const records = [
      // second 0: 20 answered (10..200 ms): nearest-rank p95 is the 19th, 190 ms
      ...Array.from({ length: 20 }, (_, k) => rec(k, T + 10 * k, 10 * (k + 1))),
      // second 2: one answered, one failed (its latency does not count)
      rec(20, T + 2100, 30),
      rec(21, T + 2200, 9000, 503),
      // before the replay and past duration + 5 s: left out
      rec(22, T - 1, 5),
      rec(23, T + 8000, 5),
    ];
    const decisions = [
      decision(T + 200, 4, 6, 1, 0),
      decision(T + 900, 5, 7, 1, 1, 0.955),
      decision(T + 3500, null, null, 2, 0),
      decision(T + 9000, 1, 1, 9, 9),
    ];
    const rows = worldTimeline(records, decisions, T, 2.5);
    expect(rows).toHaveLength(8);
    expect(rows.map((r) => r.t)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(rows[0]).toEqual({
      t: 0,
      sent: 20,
      failed: 0,
      p95Ms: 190,
      forecastP50PerS: 5,
      forecastUpperPerS: 7,
      bandQuantile: 0.955,
      ready: 1,
      warming: 1,
      to: 1,
      message: 'hold at 1',
    });
    expect(rows[1]).toEqual({
      t: 1,
      sent: 0,
      failed: 0,
      p95Ms: null,
      forecastP50PerS: null,
      forecastUpperPerS: null,
      bandQuantile: null,
      ready: null,
      warming: null,
      to: null,
      message: null,
    });
    expect(rows[2]).toMatchObject({ sent: 2, failed: 1, p95Ms: 30 });
    expect(rows[3]).toMatchObject({ sent: 0, forecastP50PerS: null, ready: 2, warming: 0 });
    expect(rows.reduce((n, r) => n + r.sent, 0)).toBe(22);
    expect(rows.some((r) => r.ready === 9)).toBe(false);
  });
});
