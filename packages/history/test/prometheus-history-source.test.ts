import { ValidationError } from '@warmpool/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryResponseError } from '../src/errors/history-response-error.js';
import { HistoryUnavailableError } from '../src/errors/history-unavailable-error.js';
import {
  PrometheusHistorySource,
  type PrometheusHistorySourceOptions,
} from '../src/prometheus/prometheus-history-source.js';
import { FakePrometheus, evalTimes, seriesAnswer } from './support/fake-prometheus.js';

const QUERY = 'sum(rate(warmpool_requests_total{model="{{model}}"}[{{step}}]))';

let fake: FakePrometheus;
let sources: PrometheusHistorySource[];
let sleeps: number[];

beforeEach(async () => {
  fake = await FakePrometheus.start();
  sources = [];
  sleeps = [];
});

afterEach(async () => {
  for (const s of sources) await s.close();
  await fake.stop();
});

function source(opts: Partial<PrometheusHistorySourceOptions> = {}): PrometheusHistorySource {
  const s = new PrometheusHistorySource({
    url: fake.url,
    query: QUERY,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...opts,
  });
  sources.push(s);
  return s;
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

describe('PrometheusHistorySource against an HTTP fake', () => {
  it('evaluates at the end of each step, fills missing points with NaN, treats NaN/Inf/negative as gaps', async () => {
    fake.handler = () =>
      seriesAnswer([
        [1060, '2'],
        [1120, '3.5'],
        // 1180 missing
        [1240, 'NaN'],
        [1300, '+Inf'],
        [1360, '-1'],
        [1420, '0'],
      ]);
    const steps = await source().read('llama', 1000, 1420, 60);
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0]!;
    expect(req.path).toBe('/api/v1/query_range');
    expect(req.params.get('query')).toBe('sum(rate(warmpool_requests_total{model="llama"}[60s]))');
    expect([req.params.get('start'), req.params.get('end'), req.params.get('step')]).toEqual(['1060', '1420', '60']);
    expect(steps.map((s) => s.startS)).toEqual([1000, 1060, 1120, 1180, 1240, 1300, 1360]);
    expect(steps.map((s) => s.meanPerS)).toEqual([2, 3.5, NaN, NaN, NaN, NaN, 0]);
    expect(steps.map((s) => s.peakPerS)).toEqual([2, 3.5, NaN, NaN, NaN, NaN, 0]);
  });

  it('no series at all → every step NaN, no throw', async () => {
    fake.handler = () => ({
      status: 200,
      body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }),
    });
    const steps = await source().read('llama', 0, 300, 60);
    expect(steps).toHaveLength(5);
    expect(steps.every((s) => Number.isNaN(s.meanPerS) && Number.isNaN(s.peakPerS))).toBe(true);
  });

  it('a peak query fills peakPerS (never below the mean); per-model templates replace the default', async () => {
    fake.handler = (req) => {
      const q = req.params.get('query')!;
      const value = q.startsWith('max') ? '9' : q.startsWith('special') ? '1' : '4';
      return seriesAnswer(evalTimes(req).map((t) => [t, value] as const));
    };
    const s = source({
      peakQuery: 'max_over_time(x{model="{{model}}"}[{{step}}])',
      models: { other: { query: 'special{m="{{model}}"}' } },
    });
    const a = await s.read('llama', 0, 120, 60);
    expect(a.map((o) => [o.meanPerS, o.peakPerS])).toEqual([
      [4, 9],
      [4, 9],
    ]);
    const b = await s.read('other', 0, 120, 60);
    expect(b.map((o) => [o.meanPerS, o.peakPerS])).toEqual([
      [1, 1],
      [1, 1],
    ]);
    expect(fake.requests.map((r) => r.params.get('query'))).toContain('special{m="other"}');
  });

  it('splits long ranges into requests of at most maxPointsPerQuery points', async () => {
    fake.handler = (req) => seriesAnswer(evalTimes(req).map((t) => [t, String(t / 10)] as const));
    const steps = await source({ maxPointsPerQuery: 3 }).read('llama', 0, 70, 10);
    expect(fake.requests.map((r) => [r.params.get('start'), r.params.get('end')])).toEqual([
      ['10', '30'],
      ['40', '60'],
      ['70', '70'],
    ]);
    expect(steps.map((s) => s.meanPerS)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it("the default chunk is Prometheus' 11,000 points", async () => {
    fake.handler = (req) => seriesAnswer(evalTimes(req).map((t) => [t, '1'] as const));
    const steps = await source().read('llama', 0, 25_000, 1);
    const points = fake.requests.map((r) => evalTimes(r).length);
    expect(points).toEqual([11_000, 11_000, 3_000]);
    expect(steps).toHaveLength(25_000);
    expect(steps.every((s) => s.meanPerS === 1)).toBe(true);
  });

  it('retries 5xx with exponential backoff, then succeeds', async () => {
    let n = 0;
    fake.handler = (req) =>
      ++n <= 2 ? { status: 503, body: 'busy' } : seriesAnswer(evalTimes(req).map((t) => [t, '5'] as const));
    const steps = await source({ retries: 2, backoffBaseMs: 100 }).read('llama', 0, 60, 60);
    expect(steps[0]!.meanPerS).toBe(5);
    expect(fake.requests).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]); // full jitter at random 0.5: half of 100 ms x 2^k
  });

  it('5xx on every attempt → HistoryUnavailableError naming URL, query, attempts and the Prometheus error', async () => {
    fake.handler = () => ({
      status: 500,
      body: JSON.stringify({ status: 'error', errorType: 'internal', error: 'tsdb on fire' }),
    });
    const err = await failure(source({ retries: 1 }).read('llama', 0, 60, 60));
    expect(err).toBeInstanceOf(HistoryUnavailableError);
    const e = err as HistoryUnavailableError;
    expect(e.code).toBe('E_HISTORY_UNAVAILABLE');
    expect(e.message).toContain(`${fake.url}/api/v1/query_range`);
    expect(e.message).toContain('warmpool_requests_total{model=\\"llama\\"}');
    expect(e.message).toContain('HTTP 500 (after 2 attempts): internal: tsdb on fire');
    expect(e.query).toBe('sum(rate(warmpool_requests_total{model="llama"}[60s]))');
    expect(fake.requests).toHaveLength(2);
  });

  it('429 is retried like 5xx', async () => {
    let n = 0;
    fake.handler = (req) =>
      ++n === 1 ? { status: 429, body: '' } : seriesAnswer(evalTimes(req).map((t) => [t, '1'] as const));
    expect((await source().read('llama', 0, 60, 60))[0]!.meanPerS).toBe(1);
    expect(fake.requests).toHaveLength(2);
  });

  it("waits at least a 429's Retry-After (seconds), capped at 30 s", async () => {
    let n = 0;
    fake.handler = (req) =>
      ++n <= 2
        ? { status: 429, body: '', headers: { 'retry-after': n === 1 ? '2' : '3600' } }
        : seriesAnswer(evalTimes(req).map((t) => [t, '1'] as const));
    expect((await source({ retries: 2 }).read('llama', 0, 60, 60))[0]!.meanPerS).toBe(1);
    expect(sleeps).toEqual([2000, 30_000]);
  });

  it('a hanging server → timeout per attempt, retried, then HistoryUnavailableError', async () => {
    fake.handler = () => undefined;
    const err = await failure(source({ timeoutMs: 50, retries: 1 }).read('llama', 0, 60, 60));
    expect(err).toBeInstanceOf(HistoryUnavailableError);
    expect(err.message).toContain('no answer within 50 ms (after 2 attempts)');
    expect(fake.requests).toHaveLength(2);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it('malformed JSON with 200 → HistoryResponseError at once, no retry', async () => {
    fake.handler = () => ({ status: 200, body: '{"status": "success", "data": ' });
    const err = await failure(source().read('llama', 0, 60, 60));
    expect(err).toBeInstanceOf(HistoryResponseError);
    expect((err as HistoryResponseError).code).toBe('E_HISTORY_RESPONSE');
    expect(err.message).toContain('not JSON');
    expect(fake.requests).toHaveLength(1);
  });

  it('error status (bad query) → HistoryResponseError with errorType and error, no retry', async () => {
    fake.handler = () => ({
      status: 400,
      body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: '1:5: parse error: unexpected' }),
    });
    const err = await failure(source().read('llama', 0, 60, 60));
    expect(err).toBeInstanceOf(HistoryResponseError);
    expect(err.message).toContain('HTTP 400: Prometheus error bad_data: 1:5: parse error: unexpected');
    expect(fake.requests).toHaveLength(1);
  });

  it('a wrong URL (404 with an HTML page) → HistoryResponseError, no retry', async () => {
    fake.handler = () => ({ status: 404, body: '<html><body>404 page not found</body></html>' });
    const err = await failure(source().read('llama', 0, 60, 60));
    expect(err).toBeInstanceOf(HistoryResponseError);
    expect(err.message).toContain('HTTP 404: the answer is not JSON: "<html>');
    expect(fake.requests).toHaveLength(1);
  });

  it('several series → error saying the query must aggregate to one series', async () => {
    fake.handler = () => ({
      status: 200,
      body: JSON.stringify({
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            { metric: { pod: 'a' }, values: [] },
            { metric: { pod: 'b' }, values: [] },
          ],
        },
      }),
    });
    const err = await failure(source().read('llama', 0, 60, 60));
    expect(err).toBeInstanceOf(HistoryResponseError);
    expect(err.message).toContain('must aggregate to one series');
  });

  it('connection refused → HistoryUnavailableError', async () => {
    const url = fake.url;
    await fake.stop();
    fake = await FakePrometheus.start(); // afterEach stops this one
    const err = await failure(source({ url, retries: 1 }).read('llama', 0, 60, 60));
    expect(err).toBeInstanceOf(HistoryUnavailableError);
    expect(err.message).toContain('request failed');
    expect(sleeps).toEqual([125]);
  });

  it('sends configured headers and honours a path prefix in the URL', async () => {
    fake.handler = () => seriesAnswer([]);
    await source({ url: `${fake.url}/prom/`, headers: { authorization: 'Bearer t0k' } }).read('llama', 0, 60, 60);
    expect(fake.requests[0]!.path).toBe('/prom/api/v1/query_range');
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer t0k');
  });

  it('close() aborts a read in flight and later reads fail at once', async () => {
    fake.handler = () => undefined;
    const s = source({ timeoutMs: 10_000, retries: 0 });
    const pending = failure(s.read('llama', 0, 60, 60));
    while (fake.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    await s.close();
    expect(await pending).toBeInstanceOf(HistoryUnavailableError);
    expect((await failure(s.read('llama', 0, 60, 60))).message).toContain('closed');
  });

  it('bad arguments → ValidationError listing every problem; empty range → []', async () => {
    const err = await failure(source().read('Bad Model', 10, 0, -1));
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual(['model', 'stepS']);
    expect(await source().read('llama', 10, 10, 60)).toEqual([]);
    const tooMany = await failure(source().read('llama', 0, 1e9, 1));
    expect((tooMany as ValidationError).issues[0]!.allowed).toContain('at most 1000000 steps');
    expect(fake.requests).toHaveLength(0);
  });
});
