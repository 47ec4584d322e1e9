import { describe, expect, it, vi } from 'vitest';
import { WarmpoolError } from '@warmpool/domain';
import { ManualClock } from '@warmpool/queue';
import { BASE_YAML, FunctionHistory, T0, config, harness, perSecondFrom } from './support/daemon-harness.js';
import { rate } from './support/daemon-scenario.js';
import { StagedProvider } from './support/staged-provider.js';

// the 14-day backfill takes ~0.5 s; leave room on a loaded machine
vi.setConfig({ testTimeout: 20_000 });

describe('Daemon: plan every tick, act through the queue, log every decision', () => {
  it('scales ahead through the queue with the job id as idempotency key and logs one record per model per tick', async () => {
    const clock = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => clock.now());
    const h = harness({
      clock,
      provider,
      history: new FunctionHistory((m) => (m === 'a' ? 5 : 2)),
      perSecond: perSecondFrom(clock, rate),
    });
    await h.daemon.start();
    await h.step(0);
    for (let i = 0; i < 40; i++) await h.step(1000);
    expect(h.daemon.ticks).toBe(41);
    expect(h.sink.decisions('a')).toHaveLength(41);
    expect(h.sink.decisions('b')).toHaveLength(41);
    const ups = h.sink.decisions('a').filter((d) => d.acted === 'enqueued');
    expect(ups.length).toBeGreaterThan(0);
    const first = ups[0]!;
    expect(first.action).toBe('scale-up');
    expect(Date.parse(first.time)).toBeGreaterThanOrEqual(T0 + 20_000);
    expect(first.to).toBeGreaterThanOrEqual(5); // 45/s at 10/s per replica
    expect(first.jobId).toMatch(/^scale:a:1-\d+:\d+$/);
    expect(provider.applied[0]).toMatchObject({ model: 'a', replicas: first.to, idempotencyKey: first.jobId });
    // every job enqueued ran once, and the log says so
    const completed = h.sink.of('job').filter((j) => j.event === 'completed');
    expect(completed.map((j) => j.jobId).sort()).toEqual(
      h.sink
        .decisions()
        .filter((d) => d.acted === 'enqueued')
        .map((d) => d.jobId)
        .sort(),
    );
    // the record has what a person needs
    expect(first).toMatchObject({
      kind: 'decision',
      model: 'a',
      leader: true,
      dryRun: false,
      sla: { capacityPerReplicaPerS: 10 },
    });
    expect(first.reasons.length).toBeGreaterThan(0);
    expect(typeof first.leadTimeS).toBe('number');
    expect(h.sink.decisions('b').every((d) => d.acted === 'none')).toBe(true);
    await h.daemon.stop();
  });

  it('backfills the planner from history: with 14 days of steps the forecast is trusted (no ReactiveFallback)', async () => {
    const cfg = config(BASE_YAML.replace('backfillS: 3600', 'backfillS: 1209600').replace(/stepS: 10/g, 'stepS: 60'));
    const c = new ManualClock(T0);
    const history = new FunctionHistory((_m, t) => 5 + 3 * Math.sin((2 * Math.PI * t) / 86400));
    const h = harness({ clock: c, config: cfg, provider: new StagedProvider({ a: 1, b: 1 }, () => c.now()), history });
    await h.daemon.start();
    await h.step(0);
    const backfilled = h.sink.of('daemon').filter((r) => r.event === 'backfilled');
    expect(backfilled.map((r) => r.model).sort()).toEqual(['a', 'b']);
    expect(backfilled[0]!.detail).toMatchObject({ steps: 20160, missing: 0 });
    const d = h.sink.decisions('a')[0]!;
    expect(d.reasons).not.toContain('ReactiveFallback');
    expect(d.forecastP50PerS).not.toBeNull();
    await h.daemon.stop();
  });

  it('history failure or gaps degrade to the reactive safety net with a note, never a crash', async () => {
    const c = new ManualClock(T0);
    const failing = new FunctionHistory(() => 5);
    failing.fail = Object.assign(new WarmpoolError('E_PROMETHEUS_UNAVAILABLE', 'connect ECONNREFUSED 127.0.0.1:9090'));
    const h = harness({
      clock: c,
      provider: new StagedProvider({ a: 1, b: 1 }, () => c.now()),
      history: failing,
      perSecond: perSecondFrom(c, rate),
    });
    await h.daemon.start();
    await h.step(0);
    const d = h.sink.decisions('a')[0]!;
    expect(d.notes?.[0]).toMatch(/^HistoryUnavailable: E_PROMETHEUS_UNAVAILABLE: connect ECONNREFUSED/);
    expect(d.reasons).toContain('ReactiveFallback');
    expect(
      h.sink.of('error').some((e) => e.event === 'backfill-failed' && e.error?.code === 'E_PROMETHEUS_UNAVAILABLE'),
    ).toBe(true);
    // history comes back: the backfill is retried after a minute with a fresh planner on the whole window
    failing.fail = undefined;
    for (let i = 0; i < 60; i++) await h.step(1000);
    expect(
      h.sink
        .of('daemon')
        .filter((r) => r.event === 'backfilled')
        .map((r) => r.model)
        .sort(),
    ).toEqual(['a', 'b']);
    const recovered = h.sink.decisions('a').find((x) => x.notes?.some((n) => n.startsWith('HistoryRecovered')));
    expect(Date.parse(recovered!.time)).toBe(T0 + 60_000);
    expect(recovered!.reasons).not.toContain('ReactiveFallback');
    await h.daemon.stop();

    const c2 = new ManualClock(T0);
    const gappy = new FunctionHistory((_m, t) => (Math.floor(t / 10) % 4 === 0 ? Number.NaN : 5));
    const h2 = harness({
      clock: c2,
      provider: new StagedProvider({ a: 1, b: 1 }, () => c2.now()),
      history: gappy,
      perSecond: perSecondFrom(c2, rate),
    });
    await h2.daemon.start();
    await h2.step(0);
    expect(h2.sink.decisions('a')[0]!.notes?.[0]).toMatch(/^HistoryGaps: 90 of 360 steps missing/);
    await h2.daemon.stop();
  });

  it('a size moved back within the job-id bucket after this daemon completed the job is acted on again (not deduplicated)', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c.now());
    const h = harness({ clock: c, provider, history: new FunctionHistory(() => 5), perSecond: perSecondFrom(c, rate) });
    await h.daemon.start();
    for (let i = 0; i <= 21; i++) await h.step(i === 0 ? 0 : 1000);
    const first = h.sink.decisions('a').find((d) => d.acted === 'enqueued')!;
    expect(provider.applied).toHaveLength(1);
    provider.setDesired('a', 1); // someone scales it back down
    await h.step(1000);
    const again = h.sink.decisions('a').at(-1)!;
    expect(again).toMatchObject({ acted: 'enqueued', jobId: `${first.jobId}.1`, from: 1 });
    expect(provider.applied.map((r) => r.idempotencyKey)).toEqual([first.jobId, `${first.jobId}.1`]);
    await h.daemon.stop();
  });

  it('a job that comes due long after its decision (recovered late) is not applied; the log says so', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c.now());
    const h = harness({
      clock: c,
      provider,
      history: new FunctionHistory(() => 5),
      perSecond: perSecondFrom(c, () => 5),
    });
    await h.daemon.start();
    await h.step(0);
    await h.queue.enqueue({
      id: 'scale:a:1-9:1',
      runAtMs: T0 - 600_000,
      request: {
        model: 'a',
        replicas: 9,
        idempotencyKey: 'scale:a:1-9:1',
        reason: 'ForecastScaleAhead',
        message: 'old',
      },
    });
    await h.step(0);
    expect(provider.scaleCalls).toEqual([]);
    const jobs = h.sink.of('job');
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ event: 'skipped', jobId: 'scale:a:1-9:1', replicas: 9 });
    expect(jobs[0]!.message).toMatch(/due 600 s ago \(stale after 120 s\)/);
    await h.daemon.stop();
  });

  it('a provider error in one model is logged with its code; the other model and later ticks go on', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c.now());
    provider.failGetState.set('a', new WarmpoolError('E_K8S_SERVER', 'GET deployments/scale: 503 Service Unavailable'));
    const h = harness({
      clock: c,
      provider,
      history: new FunctionHistory(() => 5),
      perSecond: perSecondFrom(c, (m, s) => (m === 'b' ? 40 : rate(m, s))),
    });
    await h.daemon.start();
    for (let i = 0; i <= 3; i++) await h.step(i === 0 ? 0 : 1000);
    const a = h.sink.decisions('a');
    expect(a).toHaveLength(4);
    expect(
      a.every(
        (d) =>
          d.acted === 'error' &&
          d.error?.code === 'E_K8S_SERVER' &&
          d.error.stage === 'getState' &&
          d.reasons[0] === 'ProviderUnavailable' &&
          d.action === 'hold',
      ),
    ).toBe(true);
    expect(h.sink.decisions('b').some((d) => d.acted === 'enqueued')).toBe(true);
    provider.failGetState.clear();
    await h.step(1000);
    expect(h.sink.decisions('a').at(-1)!.acted).not.toBe('error');
    await h.daemon.stop();
  });

  it('a failing scale is retried by the queue and the log shows the retries and the completion', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c.now());
    provider.failScale.push(new WarmpoolError('E_AWS_THROTTLED', 'Rate exceeded'));
    const h = harness({ clock: c, provider, history: new FunctionHistory(() => 5), perSecond: perSecondFrom(c, rate) });
    await h.daemon.start();
    for (let i = 0; i <= 22; i++) await h.step(i === 0 ? 0 : 1000);
    const jobs = h.sink.of('job');
    expect(jobs[0]).toMatchObject({
      event: 'retrying',
      model: 'a',
      error: { code: 'E_AWS_THROTTLED', stage: 'scale' },
    });
    expect(jobs.find((j) => j.event === 'completed')?.jobId).toBe(jobs[0]!.jobId);
    expect(provider.applied.filter((r) => r.idempotencyKey === jobs[0]!.jobId)).toHaveLength(1);
    await h.daemon.stop();
  });
});
