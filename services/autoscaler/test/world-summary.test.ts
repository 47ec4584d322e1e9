import { describe, expect, it } from 'vitest';
import { summarizeLoad, type LoadRunResult, type RequestRecord } from '@warmpool/loadgen';
import {
  formatWorldSummary,
  registrationTimes,
  replicaReadyTimes,
  replicaSecondsWithin,
  summarizeWorld,
  type ReplicaLifetime,
} from '../src/world/world-summary.js';
import type { DaemonDecisionRecord, OutcomeRecord } from '../src/daemon/daemon-record.js';

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
