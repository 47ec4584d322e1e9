import { describe, expect, it } from 'vitest';
import { percentile } from '@warmpool/domain';
import { countColdHits, summarizeLoad } from '../src/load-summary.js';
import type { RequestRecord } from '../src/request-record.js';

function rec(index: number, sentS: number, latencyMs: number, status = 200, replicaId = 'r1'): RequestRecord {
  return {
    index,
    scheduledAtMs: 1_000_000 + sentS * 1000,
    sentAtMs: 1_000_000 + sentS * 1000,
    latencyMs,
    status,
    replicaId,
    shape: '1x8',
  };
}

describe('summarizeLoad', () => {
  it('nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(v, 0.5)).toBe(50);
    expect(percentile(v, 0.95)).toBe(95);
    expect(percentile(v, 0.99)).toBe(99);
    expect(percentile([], 0.5)).toBeNull();
  });

  it('counts, percentiles of successes, windows with spikes (failures count as slow), per replica', () => {
    const records = [
      ...Array.from({ length: 20 }, (_, i) => rec(i, i * 0.4, 10)), // window 0: fast
      ...Array.from({ length: 20 }, (_, i) => rec(20 + i, 10 + i * 0.4, i < 2 ? 500 : 10, 200, 'r2')), // window 1: 2 of 20 slow -> p95 500
      ...Array.from({ length: 20 }, (_, i) => rec(40 + i, 20 + i * 0.4, 10, i === 0 ? 503 : 200)), // window 2: one failure -> p95 10 (19/20 ok)
      ...Array.from({ length: 10 }, (_, i) => rec(60 + i, 30 + i * 0.4, 10, i < 2 ? 0 : 200)), // window 3: 2 of 10 failed -> p95 infinite
    ];
    const s = summarizeLoad(records, { startMs: 1_000_000, latencyTargetMs: 100 });
    expect(s.requests).toBe(70);
    expect(s.errors).toBe(3);
    expect(s.ok).toBe(67);
    expect(s.p50Ms).toBe(10);
    expect(s.maxMs).toBe(500);
    expect(s.slaViolations).toBe(5);
    expect(s.windows.map((w) => [w.startS, w.requests, w.errors, w.p95Ms, w.spike])).toEqual([
      [0, 20, 0, 10, false],
      [10, 20, 0, 500, true],
      [20, 20, 1, 10, false],
      [30, 10, 2, null, true],
    ]);
    expect(s.spikeWindows).toBe(2);
    expect(s.byReplica).toEqual({ r1: 47, r2: 20 });
    expect(summarizeLoad(records, { startMs: 1_000_000 }).spikeWindows).toBeNull();
  });

  it('counts cold hits: answers from replicas not ready (or unknown) when they answered', () => {
    const records = [
      rec(0, 0, 10, 200, 'a'),
      rec(1, 1, 10, 200, 'b'),
      rec(2, 2, 10, 200, 'c'),
      rec(3, 3, 10, 503, 'b'),
    ];
    const readyAt = new Map([
      ['a', 999_000],
      ['b', 1_001_500], // registered after request 1 was answered
    ]);
    expect(countColdHits(records, readyAt)).toBe(2); // b (too early) and c (unknown); the 503 does not count
  });
});
