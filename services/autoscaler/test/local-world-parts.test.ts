import { describe, expect, it } from 'vitest';
import { ValidationError } from '@warmpool/domain';
import { parseCountCsv } from '@warmpool/domain';
import { summarizeLoad, type LoadRunResult, type RequestRecord } from '@warmpool/loadgen';
import { compressTrace, historyCsv } from '../src/world/compressed-history.js';
import { resolveWorldOptions } from '../src/world/local-world-options.js';
import { formatWorldSummary, summarizeWorld } from '../src/world/world-summary.js';
import type { DaemonDecisionRecord } from '../src/daemon/daemon-record.js';
import { main } from '../src/main.js';

describe('compressTrace', () => {
  it('sums the trace seconds each wall second covers, scaled (what the load generator sends)', () => {
    const trace = { name: 't', startS: 0, binS: 600, counts: [600, 1200, 0] };
    // 200x: a 600-s bin lasts 3 wall seconds; 600 requests in it at scale 0.5 → 100 per wall second.
    const c = compressTrace(trace, 0, 1800, 200, 0.5).countsPerS;
    expect(c).toEqual([100, 100, 100, 200, 200, 200, 0, 0, 0]);
    // A slice starting inside a bin, with overlaps split pro rata.
    expect(compressTrace(trace, 300, 900, 300, 1).countsPerS).toEqual([300, 600]);
    expect(compressTrace({ name: 's', startS: 0, binS: 1, counts: [1, 2, 3, 4] }, 0, 4, 2, 1).countsPerS).toEqual([3, 7]);
  });

  it('writes a CSV the history source reads back, at the epoch second asked for', () => {
    const text = historyCsv({ countsPerS: [1.5, 2, 0] }, 1_700_000_000);
    const s = parseCountCsv(text, 'h.csv');
    expect(s.startS).toBe(1_700_000_000);
    expect(s.binS).toBe(1);
    expect(Array.from(s.counts)).toEqual([1.5, 2, 0]);
  });
});

describe('resolveWorldOptions', () => {
  it('fills defaults and names every bad option with its value and what is allowed', () => {
    const o = resolveWorldOptions({});
    expect(o.speedX).toBe(200);
    expect(o.tracePath).toMatch(/fixtures\/traces\/servegen_deepseek-r1_total_600s\.csv$/);
    let err: unknown;
    try {
      resolveWorldOptions({ speedX: -1, maxReplicas: 2, minWarmReplicas: 3, stepS: 1, tickS: 2, model: 'Bad Name' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual(['minWarmReplicas', 'model', 'speedX', 'stepS']);
  });
});

describe('summarizeWorld', () => {
  const T = 1_800_000_000_000;
  const rec = (i: number, atMs: number, replicaId: string, latencyMs = 5): RequestRecord => ({ index: i, scheduledAtMs: atMs, sentAtMs: atMs, latencyMs, status: 200, replicaId, shape: '1x8' });
  const decision = (atMs: number, from: number, to: number, reasons: string[]): DaemonDecisionRecord =>
    ({ kind: 'decision', id: `m@${atMs}`, time: new Date(atMs).toISOString(), model: 'm', action: 'scale-up', from, to, reasons, message: '', observedPerS: 1, forecastP50PerS: 1, forecastUpperPerS: 2, leadTimeS: 5, windowStartS: 0, windowEndS: 1, acted: 'enqueued', desired: from, ready: from, warming: 0, measuredLeadTimeS: 5.5, leader: true, dryRun: false }) as DaemonDecisionRecord;

  it('judges each scale-up against the load that came and the registrations; counts cold hits', () => {
    // 1 replica (capacity 2/s) from the start; a scale-up to 2 at T+1 s, ready at T+4 s; load exceeds 2/s from T+6 s.
    const records: RequestRecord[] = [];
    let i = 0;
    for (let s = 0; s < 10; s++) {
      const n = s < 6 ? 1 : 4;
      for (let k = 0; k < n; k++) records.push(rec(i++, T + s * 1000 + k * 200, k % 2 === 0 || s < 6 ? 'r1' : 'r2'));
    }
    records.push(rec(i++, T + 3000, 'r2')); // r2 answered before its registration: a cold hit
    const load: LoadRunResult = { startMs: T, endMs: T + 10_000, planned: records.length, notSent: 0, stoppedBy: 'completed', scale: 1, records, summary: summarizeLoad(records, { startMs: T }) };
    const pool = [
      { atMs: T - 5000, replicaId: 'r1', joined: true },
      { atMs: T + 4000, replicaId: 'r2', joined: true },
    ];
    const late = decision(T + 7000, 1, 3, ['ReactivePanic']);
    const s = summarizeWorld(load, [decision(T + 1000, 1, 2, ['ForecastScaleAhead']), late], pool, 2);
    expect(s.scaleUps).toBe(2);
    expect(s.forecastScaleUps).toBe(1);
    expect(s.outcomes[0]).toMatchObject({ from: 1, to: 2, readyAtMs: T + 4000, neededAtMs: T + 6000, ahead: true });
    expect(s.readyAhead).toBe(1);
    expect(s.outcomes[1]).toMatchObject({ readyAtMs: null, neededAtMs: T + 7000, ahead: false });
    expect(s.late).toBe(1);
    expect(s.coldHits).toBe(1);
    expect(s.measuredLeadTimeS).toBe(5.5);
    expect(formatWorldSummary(s)).toMatch(/cold hits .*: 1$/m);
  });
});

describe('warmpool start: bad flags', () => {
  it('names the flag, the value and what is allowed (exit 2, nothing started)', async () => {
    const err: string[] = [];
    expect(await main(['start', '--speed', 'fast'], () => undefined, (s) => err.push(s))).toBe(2);
    expect(err.join('\n')).toMatch(/--speed: got "fast", allowed: a number in/);
    expect(await main(['start', '--trace', '/nonexistent/trace.csv'], () => undefined, (s) => err.push(s))).toBe(2);
    expect(err.join('\n')).toMatch(/\/nonexistent\/trace\.csv/);
  });
});
