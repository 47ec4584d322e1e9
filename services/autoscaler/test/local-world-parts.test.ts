import { describe, expect, it } from 'vitest';
import { ValidationError } from '@warmpool/domain';
import { parseCountCsv } from '@warmpool/domain';
import { summarizeLoad, type LoadRunResult, type RequestRecord } from '@warmpool/loadgen';
import { compressTrace, historyCsv } from '../src/world/compressed-history.js';
import { resolveWorldOptions } from '../src/world/local-world-options.js';
import {
  formatWorldSummary,
  registrationTimes,
  replicaReadyTimes,
  replicaSecondsWithin,
  summarizeWorld,
  type ReplicaLifetime,
} from '../src/world/world-summary.js';
import { worldTimeline } from '../src/world/world-timeline.js';
import type { DaemonDecisionRecord, OutcomeRecord } from '../src/daemon/daemon-record.js';
import { main } from '../src/main.js';

describe('compressTrace', () => {
  it('sums the trace seconds each wall second covers, scaled (what the load generator sends)', () => {
    const trace = { name: 't', startS: 0, binS: 600, counts: [600, 1200, 0] };
    // 200x: a 600-s bin lasts 3 wall seconds; 600 requests in it at scale 0.5 → 100 per wall second.
    const c = compressTrace(trace, 0, 1800, 200, 0.5).countsPerS;
    expect(c).toEqual([100, 100, 100, 200, 200, 200, 0, 0, 0]);
    // A slice starting inside a bin, with overlaps split pro rata.
    expect(compressTrace(trace, 300, 900, 300, 1).countsPerS).toEqual([300, 600]);
    expect(compressTrace({ name: 's', startS: 0, binS: 1, counts: [1, 2, 3, 4] }, 0, 4, 2, 1).countsPerS).toEqual([
      3, 7,
    ]);
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
    expect(o.speedX).toBe(600);
    expect(o.historyS).toBe(576);
    expect(o.tracePath).toMatch(/fixtures\/traces\/servegen_m-small_total_600s\.csv$/);
    let err: unknown;
    try {
      resolveWorldOptions({ speedX: -1, maxReplicas: 2, minWarmReplicas: 3, stepS: 1, tickS: 2, model: 'Bad Name' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual([
      'minWarmReplicas',
      'model',
      'speedX',
      'stepS',
    ]);
  });

  it('keeps npm start as it was: predictive, 1x8 and 2x8, one inference at a time with a queue of 32, 45 s scale-down wait', () => {
    const o = resolveWorldOptions({});
    expect(o).toMatchObject({
      upperQuantile: 0.93,
      policy: 'predictive',
      shapes: [
        { batch: 1, seq: 8 },
        { batch: 2, seq: 8 },
      ],
      replicaMaxConcurrency: 1,
      replicaMaxQueue: 32,
      minServiceMs: 0,
      scaleDownStabilizationS: 45,
      startupS: 2,
      warmupBudgetS: 20,
      requestTimeoutMs: 30_000,
      loadMaxConcurrency: 32,
      spikeWindowS: 10,
    });
    const bench = resolveWorldOptions({
      policy: 'hpa',
      shapes: [{ batch: 1, seq: 64 }],
      replicaMaxQueue: 64,
      minServiceMs: 40,
      scaleDownStabilizationS: 20,
      startupS: 3.4,
      loadMaxConcurrency: 512,
      requestTimeoutMs: 10_000,
    });
    expect(bench).toMatchObject({
      policy: 'hpa',
      shapes: [{ batch: 1, seq: 64 }],
      replicaMaxQueue: 64,
      minServiceMs: 40,
      scaleDownStabilizationS: 20,
      startupS: 3.4,
      loadMaxConcurrency: 512,
      requestTimeoutMs: 10_000,
    });
  });

  it('names a bad policy, bad shapes and every bad number with its key and value, all at once', () => {
    let err: unknown;
    try {
      resolveWorldOptions({
        policy: 'vpa' as 'hpa',
        shapes: [
          { batch: 1, seq: 8 },
          { batch: 0, seq: 8 },
          { batch: 2, seq: 1.5 },
        ],
        replicaMaxConcurrency: 0,
        replicaMaxQueue: -1,
        minServiceMs: 2.5,
        scaleDownStabilizationS: Number.NaN,
        startupS: -1,
        warmupBudgetS: 0,
        requestTimeoutMs: 0,
        loadMaxConcurrency: 20_000,
        spikeWindowS: 0,
        upperQuantile: 1,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'loadMaxConcurrency',
        'minServiceMs',
        'policy',
        'replicaMaxConcurrency',
        'replicaMaxQueue',
        'requestTimeoutMs',
        'scaleDownStabilizationS',
        'shapes[1]',
        'shapes[2]',
        'spikeWindowS',
        'startupS',
        'upperQuantile',
        'warmupBudgetS',
      ].sort(),
    );
    expect(byPath['policy']).toMatchObject({ value: 'vpa', allowed: 'predictive, hpa, kpa' });
    expect(byPath['shapes[1]']!.value).toEqual({ batch: 0, seq: 8 });
    expect(byPath['minServiceMs']).toMatchObject({ value: 2.5, allowed: 'an integer in [0, 600000]' });
    expect(byPath['loadMaxConcurrency']).toMatchObject({ value: 20_000 });
    expect(byPath['upperQuantile']).toMatchObject({ value: 1, allowed: 'a number in [0.5, 0.999]' });
    expect(byPath['scaleDownStabilizationS']!.value).toBeNaN();
    expect((err as ValidationError).message).toMatch(/shapes\[2\]/);
    for (const bad of [[], 'x', Array.from({ length: 65 }, () => ({ batch: 1, seq: 1 }))]) {
      expect(() => resolveWorldOptions({ shapes: bad as never })).toThrow(/shapes/);
    }
  });
});

describe('summarizeWorld', () => {
  const T = 1_800_000_000_000;
  const rec = (i: number, atMs: number, replicaId: string, latencyMs = 5): RequestRecord => ({
    index: i,
    scheduledAtMs: atMs,
    sentAtMs: atMs,
    latencyMs,
    status: 200,
    replicaId,
    shape: '1x8',
  });
  const decision = (atMs: number, from: number, to: number, reasons: string[]): DaemonDecisionRecord =>
    ({
      kind: 'decision',
      id: `m@${atMs}`,
      time: new Date(atMs).toISOString(),
      model: 'm',
      action: 'scale-up',
      from,
      to,
      reasons,
      message: '',
      observedPerS: 1,
      forecastP50PerS: 1,
      forecastUpperPerS: 2,
      bandQuantile: 0.93,
      leadTimeS: 5,
      windowStartS: 0,
      windowEndS: 1,
      acted: 'enqueued',
      desired: from,
      ready: from,
      warming: 0,
      measuredLeadTimeS: 5.5,
      leader: true,
      dryRun: false,
    }) as DaemonDecisionRecord;

  it('judges each scale-up against the load that came and the registrations; counts cold hits', () => {
    // 1 replica (capacity 2/s) from the start; a scale-up to 2 at T+1 s, ready at T+4 s; load exceeds 2/s from T+6 s.
    const records: RequestRecord[] = [];
    let i = 0;
    for (let s = 0; s < 10; s++) {
      const n = s < 6 ? 1 : 4;
      for (let k = 0; k < n; k++) records.push(rec(i++, T + s * 1000 + k * 200, k % 2 === 0 || s < 6 ? 'r1' : 'r2'));
    }
    records.push(rec(i++, T + 3000, 'r2')); // r2 answered before its registration: a cold hit
    const load: LoadRunResult = {
      startMs: T,
      endMs: T + 10_000,
      planned: records.length,
      notSent: 0,
      stoppedBy: 'completed',
      scale: 1,
      records,
      summary: summarizeLoad(records, { startMs: T }),
    };
    const pool = [
      { atMs: T - 5000, replicaId: 'r1', joined: true },
      { atMs: T + 4000, replicaId: 'r2', joined: true },
    ];
    const late = decision(T + 7000, 1, 3, ['ReactivePanic']);
    const lifetimes: ReplicaLifetime[] = [
      { id: 'r1', requestedAtMs: T - 9000, endedAtMs: undefined, lastSeenMs: T + 12_000 },
      { id: 'r2', requestedAtMs: T + 1000, endedAtMs: T + 8000, lastSeenMs: T + 8000 },
    ];
    const up = decision(T + 1000, 1, 2, ['ForecastScaleAhead']);
    const notFollowed = { ...decision(T + 8000, 3, 3, ['ForecastScaleAhead']), desired: 3 } as DaemonDecisionRecord; // to is not above desired
    const outcome = (ref: string, o: OutcomeRecord['outcome'], readyAfterS: number | null): OutcomeRecord => ({
      kind: 'outcome',
      time: '',
      model: 'm',
      ref,
      outcome: o,
      from: 1,
      to: 2,
      capacityBeforePerS: 2,
      observedPeakPerS: 4,
      readyAfterS,
      message: '',
    });
    const s = summarizeWorld(
      load,
      [up, late, notFollowed],
      pool,
      2,
      { lifetimes, replayStartMs: T, replayEndMs: T + 10_000 },
      {
        outcomes: [outcome(up.id, 'ready-ahead', 3)],
        latencyTargetP95Ms: 100,
        cpuCount: 2,
      },
    );
    // counts are the daemon's outcome records, one per followed scale-up; what the run ended before judging is named
    expect(s.scaleUps).toBe(2);
    expect(s.forecastScaleUps).toBe(1);
    expect(s.outcomes[0]).toMatchObject({
      from: 1,
      to: 2,
      outcome: 'ready-ahead',
      readyAfterS: 3,
      readyAtMs: T + 4000,
    });
    expect(s.outcomes[1]).toMatchObject({ from: 1, to: 3, outcome: 'pending' });
    expect([s.readyAhead, s.late, s.notNeeded, s.superseded, s.pending]).toEqual([1, 0, 0, 0, 1]);
    expect(formatWorldSummary(s)).toMatch(
      /^scale-ups: 2 \(1 planned from the forecast\) = 1 ready ahead of the load \+ 0 late .* \+ 0 not needed \+ 0 superseded .* \+ 1 not judged yet when the run ended/m,
    );
    // every latency is 5 ms: the SLA of 100 ms is met
    expect(s.sla).toMatchObject({ met: true, p95Ms: 5, secondsOver: 0 });
    expect(formatWorldSummary(s)).toMatch(/^SLA \(latency p95 <= 100 ms\): met: p95 5\.0 ms/m);
    expect(s.coldHits).toBe(1);
    expect(s.measuredLeadTimeS).toBe(5.5);
    // r1 the whole replay (10 s), r2 from its request to its end (7 s)
    expect(s.replicaSeconds).toBe(17);
    expect(s.replicasStarted).toBe(2);
    // asked for to registered: r1 4 s (T-9 s to T-5 s), r2 3 s (T+1 s to T+4 s)
    expect(s.replicaReadyS).toEqual({ count: 2, p50: 3.5, max: 4 });
    expect(formatWorldSummary(s)).toMatch(/cold hits .*: 1$/m);
    expect(formatWorldSummary(s)).toMatch(/asked for to serving: median 3.5 s, max 4 s over 2/);
    // a replica that never registered is not counted; none registered: null
    expect(
      replicaReadyTimes(
        [...lifetimes, { id: 'r3', requestedAtMs: T + 5000, endedAtMs: undefined, lastSeenMs: T + 9000 }],
        registrationTimes(pool),
      ),
    ).toEqual({ count: 2, p50: 3.5, max: 4 });
    expect(replicaReadyTimes(lifetimes, new Map())).toBeNull();
  });

  it('states the SLA verdict (p95 against the target, the ms and seconds over, why) and lead-time stages that add up', () => {
    // 4 s at 300 ms while r2 is loading and warming up (requested at T, registered at T+4 s), then 4 s at 5 ms.
    const records: RequestRecord[] = [];
    for (let sec = 0; sec < 8; sec++)
      for (let k = 0; k < 2; k++) records.push(rec(sec * 2 + k, T + sec * 1000 + k * 300, 'r1', sec < 4 ? 300 : 5));
    const load: LoadRunResult = {
      startMs: T,
      endMs: T + 8000,
      planned: records.length,
      notSent: 0,
      stoppedBy: 'completed',
      scale: 1,
      records,
      summary: summarizeLoad(records, { startMs: T }),
    };
    const pool = [
      { atMs: T - 5000, replicaId: 'r1', joined: true },
      { atMs: T + 4000, replicaId: 'r2', joined: true },
    ];
    const lifetimes: ReplicaLifetime[] = [
      { id: 'r1', requestedAtMs: T - 9000, endedAtMs: undefined, lastSeenMs: T + 8000 },
      { id: 'r2', requestedAtMs: T, endedAtMs: undefined, lastSeenMs: T + 8000 },
    ];
    const d = {
      ...decision(T - 20_000, 1, 1, []),
      action: 'hold',
      measuredLeadTimeS: 13.7,
      leadTimeStagesS: { provisioning: 4, loading: 6.1, warming: 0.3 },
    } as DaemonDecisionRecord;
    const s = summarizeWorld(
      load,
      [d],
      pool,
      100,
      { lifetimes, replayStartMs: T, replayEndMs: T + 8000 },
      { outcomes: [], latencyTargetP95Ms: 250, cpuCount: 2, provisionDelayMs: 0 },
    );
    expect(s.p95Ms).toBe(300);
    expect(s.sla).toMatchObject({
      met: false,
      overByMs: 50,
      seconds: 8,
      secondsOver: 4,
      overWhileReplicaStarting: 4,
      overAboveReadyCapacity: 0,
      overUnexplained: 0,
      cpuCount: 2,
    });
    expect(s.p95PerSecondMs.map((x) => x.p95Ms)).toEqual([300, 300, 300, 300, 5, 5, 5, 5]);
    const text = formatWorldSummary(s);
    expect(text).toMatch(
      /^SLA \(latency p95 <= 250 ms\): EXCEEDED: p95 300\.0 ms, 50\.0 ms \(0\.050 s\) over the target; 4 of 8 s had a p95 over it: 4 s while a replica was loading and warming up on this 2-core host/m,
    );
    expect(text).toMatch(
      /lead time \(request to ready, p90\): 13\.7 s = median stages provisioning 4\.0 \+ loading 6\.1 \+ warming 0\.3 = 10\.4 s \+ 3\.3 s the stage medians leave out/,
    );
    expect(text).toMatch(/^scale-ups: 0 \(0 planned from the forecast\) = 0 ready ahead/m);
  });
});

describe('warmpool start: bad flags', () => {
  it('names the flag, the value and what is allowed (exit 2, nothing started)', async () => {
    const err: string[] = [];
    expect(
      await main(
        ['start', '--speed', 'fast'],
        () => undefined,
        (s) => err.push(s),
      ),
    ).toBe(2);
    expect(err.join('\n')).toMatch(/--speed: got "fast", allowed: a number in/);
    expect(
      await main(
        ['start', '--trace', '/nonexistent/trace.csv'],
        () => undefined,
        (s) => err.push(s),
      ),
    ).toBe(2);
    expect(err.join('\n')).toMatch(/\/nonexistent\/trace\.csv/);
  });
});

describe('replicaSecondsWithin', () => {
  const T = 1_800_000_000_000;
  it('sums each replica from request to end, clipped to the replay; an end never seen is the last sample', () => {
    const l = (
      id: string,
      requestedAtMs: number,
      endedAtMs: number | undefined,
      lastSeenMs: number,
    ): ReplicaLifetime => ({ id, requestedAtMs, endedAtMs, lastSeenMs });
    const w = (lifetimes: ReplicaLifetime[]) =>
      replicaSecondsWithin({ lifetimes, replayStartMs: T, replayEndMs: T + 60_000 });
    expect(w([])).toBe(0);
    // requested before the replay, still running after it: the whole 60 s
    expect(w([l('a', T - 5000, undefined, T + 61_000)])).toBe(60);
    // requested 10 s in, ended 25 s in: 15 s (its provisioning delay costs too)
    expect(w([l('b', T + 10_000, T + 25_000, T + 25_250)])).toBe(15);
    // gone before a sample saw it end: counted to the last sample that saw it
    expect(w([l('c', T + 30_000, undefined, T + 32_500)])).toBe(2.5);
    // entirely before or after the replay: nothing
    expect(w([l('d', T - 20_000, T - 1000, T - 1000), l('e', T + 70_000, undefined, T + 71_000)])).toBe(0);
    expect(
      w([
        l('a', T - 5000, undefined, T + 61_000),
        l('b', T + 10_000, T + 25_000, T + 25_250),
        l('c', T + 30_000, undefined, T + 32_500),
      ]),
    ).toBe(77.5);
  });
});

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
