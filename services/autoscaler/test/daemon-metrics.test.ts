import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { describeWithPromtool, promtoolCheckMetrics } from '@warmpool/testing/prometheus';
import type { DaemonDecisionRecord } from '../src/daemon/daemon-record.js';
import { DecisionLog } from '../src/daemon/decision-log.js';
import { DaemonHttpServer } from '../src/http/daemon-http-server.js';
import { DaemonMetrics, errorKind } from '../src/http/daemon-metrics.js';
import { FunctionHistory, MemorySink, T0, harness, perSecondFrom } from './support/daemon-harness.js';
import { StagedProvider } from './support/staged-provider.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** The sample of `series` with exactly these labels (in any order), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]));
    const want = Object.entries(labels);
    if (want.length === Object.keys(got).length && want.every(([k, v]) => got[k] === v)) return Number(m[3]);
  }
  return undefined;
}

/** A daemon over two models ticked a few times on a ManualClock, with its HTTP server: the real /metrics text. */
async function daemonMetricsText(): Promise<{ text: string; sink: MemorySink }> {
  const clock = new ManualClock(T0);
  const http = new DaemonHttpServer({ host: '127.0.0.1', port: 0 });
  const sink = new MemorySink();
  const rate = (m: string, s: number): number => (m === 'a' ? (s * 1000 >= T0 + 3_000 ? 60 : 5) : 2);
  const h = harness({
    clock,
    provider: new StagedProvider({ a: 1, b: 1 }, () => clock.now()),
    history: new FunctionHistory((m) => (m === 'a' ? 5 : 2)),
    perSecond: perSecondFrom(clock, rate),
    deps: { http, log: new DecisionLog([sink, http.sink]) },
  });
  closers.push(() => h.daemon.stop());
  await h.daemon.start();
  for (let i = 0; i < 8; i++) await h.step(1000);
  const res = await fetch(`${h.daemon.httpUrl!}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  return { text: await res.text(), sink };
}

describe('the daemon /metrics (prom-client)', { timeout: 30_000 }, () => {
  it('carries per model replicas, forecast, demand, lead time, decisions by reason, leader, tick duration and the default metrics', async () => {
    const { text, sink } = await daemonMetricsText();
    const last = sink.decisions('a').at(-1)!;
    expect(sample(text, 'warmpool_replicas_desired', { model: 'a' })).toBe(last.to);
    expect(sample(text, 'warmpool_replicas_ready', { model: 'a' })).toBe(last.ready);
    expect(sample(text, 'warmpool_replicas_warming', { model: 'a' })).toBe(last.warming);
    expect(sample(text, 'warmpool_replicas_failed', { model: 'a' })).toBe(last.failed ?? 0);
    expect(sample(text, 'warmpool_demand_observed_requests_per_second', { model: 'a' })).toBe(60);
    expect(sample(text, 'warmpool_forecast_p50_requests_per_second', { model: 'a' })).toBe(last.forecastP50PerS);
    expect(sample(text, 'warmpool_forecast_upper_requests_per_second', { model: 'a' })).toBe(last.forecastUpperPerS);
    expect(sample(text, 'warmpool_capacity_ready_requests_per_second', { model: 'a' })).toBe(last.ready! * 10);
    expect(sample(text, 'warmpool_sla_latency_target_p95_seconds', { model: 'a' })).toBe(
      last.sla!.latencyTargetP95Ms / 1000,
    );
    expect(sample(text, 'warmpool_lead_time_planned_seconds', { model: 'a' })).toBe(last.leadTimeS);
    for (const [stage, s] of Object.entries(last.leadTimeStagesS ?? {}))
      expect(sample(text, 'warmpool_lead_time_stage_seconds', { model: 'a', stage })).toBe(s);
    expect(text).toContain('# TYPE warmpool_lead_time_stage_seconds gauge');
    const ups = sink.decisions('a').filter((d) => d.action === 'scale-up');
    expect(ups.length).toBeGreaterThan(0);
    expect(sample(text, 'warmpool_decisions_total', { model: 'a', action: 'scale-up', acted: 'enqueued' })).toBe(
      ups.filter((d) => d.acted === 'enqueued').length,
    );
    const reason = ups[0]!.reasons[0]!;
    expect(sample(text, 'warmpool_decision_reasons_total', { model: 'a', reason })).toBe(
      sink.decisions('a').filter((d) => d.reasons.includes(reason)).length,
    );
    expect(sample(text, 'warmpool_replicas_ready', { model: 'b' })).toBe(sink.decisions('b').at(-1)!.ready);
    expect(sample(text, 'warmpool_leader')).toBe(1);
    expect(sample(text, 'warmpool_tick_duration_seconds_count')).toBeGreaterThanOrEqual(sink.decisions('a').length - 1);
    expect(text).toContain('# TYPE warmpool_errors_total counter');
    expect(text).toMatch(/^process_cpu_seconds_total [\d.e+-]+$/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+$/m);
  });
});

describe('the daemon /metrics when the provider fails', { timeout: 30_000 }, () => {
  it('counts the provider errors by code, drops the unknown replica counts, and the other model goes on', async () => {
    const clock = new ManualClock(T0);
    const http = new DaemonHttpServer({ host: '127.0.0.1', port: 0 });
    const provider = new StagedProvider({ a: 1, b: 1 }, () => clock.now());
    const err = Object.assign(new Error('connection refused'), { code: 'E_PROVIDER_UNAVAILABLE' });
    provider.failGetState.set('b', err);
    const h = harness({
      clock,
      provider,
      history: new FunctionHistory(() => 2),
      perSecond: perSecondFrom(clock, () => 2),
      deps: { http, log: new DecisionLog([http.sink]) },
    });
    closers.push(() => h.daemon.stop());
    await h.daemon.start();
    for (let i = 0; i < 3; i++) await h.step(1000);
    const text = await (await fetch(`${h.daemon.httpUrl!}/metrics`)).text();
    expect(
      sample(text, 'warmpool_errors_total', { kind: 'provider', code: 'E_PROVIDER_UNAVAILABLE' }),
    ).toBeGreaterThanOrEqual(3);
    expect(sample(text, 'warmpool_replicas_ready', { model: 'b' })).toBeUndefined();
    expect(sample(text, 'warmpool_replicas_ready', { model: 'a' })).toBe(1);
  });
});

describeWithPromtool('the daemon /metrics', () => {
  it('passes promtool check metrics', { timeout: 30_000 }, async () => {
    const { text } = await daemonMetricsText();
    const r = await promtoolCheckMetrics(text);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  });
});

const decision = (over: Partial<DaemonDecisionRecord>): DaemonDecisionRecord => ({
  kind: 'decision',
  id: 'm@1',
  time: new Date(T0).toISOString(),
  model: 'm',
  action: 'hold',
  from: 2,
  to: 2,
  reasons: ['WithinBand'] as never,
  message: 'hold',
  observedPerS: 3,
  forecastP50PerS: 4,
  forecastUpperPerS: 5,
  bandQuantile: 0.9,
  leadTimeS: 30,
  windowStartS: 0,
  windowEndS: 30,
  acted: 'none',
  desired: 2,
  ready: 2,
  warming: 0,
  measuredLeadTimeS: null,
  leader: true,
  dryRun: false,
  ...over,
});

describe('DaemonMetrics from records', () => {
  it('counts provider, queue and history errors by kind and code, with a bounded code set', async () => {
    const m = new DaemonMetrics({ defaultMetrics: false });
    m.write(
      decision({ acted: 'error', error: { stage: 'getState', code: 'E_PROVIDER_UNAVAILABLE', message: 'down' } }),
    );
    m.write(
      decision({ acted: 'error', error: { stage: 'getState', code: 'E_PROVIDER_UNAVAILABLE', message: 'down' } }),
    );
    m.write({
      kind: 'job',
      time: '',
      model: 'm',
      jobId: 'j',
      event: 'retrying',
      replicas: 3,
      attempt: 1,
      error: { stage: 'scale', code: 'E_THROTTLED', message: 'slow down' },
      message: '',
    });
    m.write({
      kind: 'error',
      time: '',
      event: 'queue-error',
      message: 'x',
      error: { stage: 'queue', code: 'ECONNREFUSED', message: 'redis' },
    });
    m.write(decision({ notes: ['gap'], error: { stage: 'history', code: 'E_HISTORY', message: 'prometheus 500' } }));
    m.write(decision({ notes: ['DemandUnavailable: E_HISTORY_TIMEOUT: no answer in 5000 ms'] }));
    for (let i = 0; i < 100; i++)
      m.write({
        kind: 'error',
        time: '',
        event: 'x',
        message: 'x',
        error: { stage: 'config', code: `E_${i}`, message: '' },
      });
    const text = await m.metrics();
    expect(sample(text, 'warmpool_errors_total', { kind: 'provider', code: 'E_PROVIDER_UNAVAILABLE' })).toBe(2);
    expect(sample(text, 'warmpool_errors_total', { kind: 'provider', code: 'E_THROTTLED' })).toBe(1);
    expect(sample(text, 'warmpool_errors_total', { kind: 'queue', code: 'ECONNREFUSED' })).toBe(1);
    expect(sample(text, 'warmpool_errors_total', { kind: 'history', code: 'E_HISTORY' })).toBe(1);
    expect(sample(text, 'warmpool_errors_total', { kind: 'history', code: 'E_HISTORY_TIMEOUT' })).toBe(1);
    expect(sample(text, 'warmpool_scale_jobs_total', { event: 'retrying' })).toBe(1);
    const configSeries = text.split('\n').filter((l) => l.startsWith('warmpool_errors_total{kind="config"'));
    expect(configSeries.length).toBeLessThanOrEqual(64);
    expect(sample(text, 'warmpool_errors_total', { kind: 'config', code: 'other' })).toBeGreaterThan(0);
    expect(['getState', 'scale', 'event'].map((s) => errorKind(s as never))).toEqual([
      'provider',
      'provider',
      'provider',
    ]);
    expect(['enqueue', 'queue'].map((s) => errorKind(s as never))).toEqual(['queue', 'queue']);
    expect(['history', 'demand'].map((s) => errorKind(s as never))).toEqual(['history', 'history']);
  });

  it('lead time per stage; leader status follows the records; an unknown value (provider unreadable) drops its series', async () => {
    const m = new DaemonMetrics({ defaultMetrics: false });
    m.write(decision({ measuredLeadTimeS: 42, leadTimeStagesS: { provisioning: 20, loading: 12, warming: 10 } }));
    const first = await m.metrics();
    expect(sample(first, 'warmpool_replicas_ready', { model: 'm' })).toBe(2);
    expect(sample(first, 'warmpool_lead_time_measured_seconds', { model: 'm' })).toBe(42);
    expect(sample(first, 'warmpool_lead_time_stage_seconds', { model: 'm', stage: 'loading' })).toBe(12);
    expect(sample(await m.metrics(), 'warmpool_leader')).toBe(1);
    m.write(decision({ ready: null, warming: null, desired: null, leader: false, acted: 'standby' }));
    const text = await m.metrics();
    expect(sample(text, 'warmpool_replicas_ready', { model: 'm' })).toBeUndefined();
    expect(sample(text, 'warmpool_leader')).toBe(0);
    m.write({ kind: 'leader', time: '', event: 'leading', message: '' });
    expect(sample(await m.metrics(), 'warmpool_leader')).toBe(1);
    m.write({
      kind: 'outcome',
      time: '',
      model: 'm',
      ref: 'm@1',
      outcome: 'needed',
      from: 1,
      to: 2,
      capacityBeforePerS: 10,
      observedPeakPerS: 12,
      readyAfterS: 20,
      message: '',
    });
    expect(sample(await m.metrics(), 'warmpool_scale_up_outcomes_total', { model: 'm', outcome: 'needed' })).toBe(1);
    m.observeTick(0.02);
    m.observeTick(Number.NaN);
    expect(sample(await m.metrics(), 'warmpool_tick_duration_seconds_count')).toBe(1);
  });

  it('a model removed by a config reload loses every series, counters included; the others keep theirs', async () => {
    const m = new DaemonMetrics({ defaultMetrics: false });
    const outcome = (model: string) =>
      ({
        kind: 'outcome',
        time: '',
        model,
        ref: `${model}@1`,
        outcome: 'needed',
        from: 1,
        to: 2,
        capacityBeforePerS: 10,
        observedPeakPerS: 12,
        readyAfterS: 20,
        message: '',
      }) as const;
    for (const model of ['gone', 'kept']) {
      m.write(decision({ model, leadTimeStagesS: { loading: 3 } }));
      m.write(
        decision({ model, action: 'scale-up', to: 3, acted: 'enqueued', reasons: ['ForecastAboveCapacity'] as never }),
      );
      m.write(outcome(model));
    }
    const before = await m.metrics();
    const lines = (text: string, model: string) => text.split('\n').filter((l) => l.includes(`model="${model}"`));
    // decisions (2 label sets), reasons (2), outcomes, lead-time stage, and the gauges
    expect(lines(before, 'gone').filter((l) => /^\w+_total\{/.test(l)).length).toBe(5);
    expect(sample(before, 'warmpool_lead_time_stage_seconds', { model: 'gone', stage: 'loading' })).toBe(3);
    m.write({
      kind: 'config',
      time: '',
      event: 'reloaded',
      message: '',
      detail: { added: [], changed: [], removed: ['gone'] },
    });
    const after = await m.metrics();
    expect(lines(after, 'gone')).toEqual([]);
    expect(lines(after, 'kept')).toEqual(lines(before, 'kept'));
    // added again later: its counters start from zero
    m.write(decision({ model: 'gone' }));
    expect(
      sample(await m.metrics(), 'warmpool_decisions_total', { model: 'gone', action: 'hold', acted: 'none' }),
    ).toBe(1);
  });
});
