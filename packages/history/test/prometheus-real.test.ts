import { afterAll, beforeAll, expect, it } from 'vitest';
import { HistoryResponseError } from '../src/errors/history-response-error.js';
import { PrometheusHistorySource } from '../src/prometheus/prometheus-history-source.js';
import { expectedSteps, openMetricsOf, sameSteps, syntheticCounts } from './support/demand-fixture.js';
import { RealPrometheus, describeWithPrometheus } from './support/real-prometheus.js';

const SECONDS = 1800;
// Recent enough for Prometheus' default retention, aligned to the hour.
const T0 = Math.floor(Date.now() / 1000 / 3600) * 3600 - 3 * 3600;
const counts = syntheticCounts(SECONDS);
const other = counts.map((c) => c + 1);

describeWithPrometheus('PrometheusHistorySource against a real Prometheus (backfilled with promtool)', () => {
  let prom: RealPrometheus;
  const sources: PrometheusHistorySource[] = [];
  const source = (
    query: string,
    extra: { peakQuery?: string; maxPointsPerQuery?: number } = {},
  ): PrometheusHistorySource => {
    const s = new PrometheusHistorySource({ url: prom.url, query, retries: 0, timeoutMs: 10_000, ...extra });
    sources.push(s);
    return s;
  };

  beforeAll(async () => {
    prom = await RealPrometheus.start(
      openMetricsOf({ llama: { startS: T0, counts }, mistral: { startS: T0, counts: other } }),
    );
  }, 60_000);

  afterAll(async () => {
    for (const s of sources) await s.close();
    await prom?.stop();
  });

  it('reads per-minute mean and peak that match the raw per-second counts, gaps before and after as NaN', async () => {
    const s = source('sum(avg_over_time(warmpool_demand_last_second{model="{{model}}"}[59s999ms]))', {
      peakQuery: 'max(max_over_time(warmpool_demand_last_second{model="{{model}}"}[59s999ms]))',
    });
    const from = T0 - 300;
    const to = T0 + SECONDS + 300;
    const steps = await s.read('llama', from, to, 60);
    expect(sameSteps(steps, expectedSteps(counts, T0, from, to, 60))).toEqual([]);
    expect(steps.filter((o) => Number.isNaN(o.meanPerS))).toHaveLength(10);
  });

  it('1-s steps split into chunks of maxPointsPerQuery give the raw counts', async () => {
    const s = source('sum(warmpool_demand_last_second{model="{{model}}"})', { maxPointsPerQuery: 700 });
    const steps = await s.read('mistral', T0, T0 + SECONDS, 1);
    expect(steps.map((o) => o.meanPerS)).toEqual(other);
  });

  it('more than 11,000 points is split into requests Prometheus accepts', async () => {
    const s = source('sum(warmpool_demand_last_second{model="{{model}}"})');
    const steps = await s.read('llama', T0, T0 + 3000, 0.25); // 12,000 points
    expect(steps).toHaveLength(12_000);
    expect(steps[3]!.meanPerS).toBe(counts[0]); // evaluated at T0 + 1, the first sample
    expect(steps[4 * 1000 + 3]!.meanPerS).toBe(counts[1000]);
  });

  it('a model with no series reads as all gaps', async () => {
    const steps = await source('sum(warmpool_demand_last_second{model="{{model}}"})').read('nobody', T0, T0 + 600, 60);
    expect(steps).toHaveLength(10);
    expect(steps.every((o) => Number.isNaN(o.meanPerS))).toBe(true);
  });

  it('a query that does not aggregate → HistoryResponseError saying so', async () => {
    const err = await source('warmpool_demand_last_second')
      .read('llama', T0, T0 + 600, 60)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(HistoryResponseError);
    expect((err as Error).message).toContain('returned 2 series');
    expect((err as Error).message).toContain('must aggregate to one series');
  });

  it("invalid PromQL → HistoryResponseError carrying Prometheus' bad_data error", async () => {
    const err = await source('sum(rate(warmpool_demand_last_second[')
      .read('llama', T0, T0 + 600, 60)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(HistoryResponseError);
    expect((err as Error).message).toMatch(/HTTP 400: Prometheus error bad_data: .*parse error/);
    expect((err as Error).message).toContain(prom.url);
  });
});
