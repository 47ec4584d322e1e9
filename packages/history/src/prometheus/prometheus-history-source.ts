import type { HistorySource, StepObservation } from '@warmpool/domain';
import { checkReadRange, stepStartS, toObservations, type ReadRange } from '../read-range.js';
import { QueryRangeClient } from './query-range-client.js';
import { renderPromql } from './promql-template.js';

/** PromQL templates for one model (see `renderPromql` for the placeholders). */
export interface PrometheusQueries {
  /** Mean request rate (requests/s) over the step ending at the evaluation time; must give one series. */
  readonly query: string;
  /** Highest one-second rate inside that step; when absent, peakPerS = meanPerS. */
  readonly peakQuery?: string;
}

export interface PrometheusHistorySourceOptions extends PrometheusQueries {
  /** Base URL of Prometheus, e.g. `http://127.0.0.1:9090`. */
  readonly url: string;
  /** Per-model templates replacing `query`/`peakQuery` for that model. */
  readonly models?: Readonly<Record<string, PrometheusQueries>>;
  /** Bound on one HTTP attempt (default 10,000 ms). */
  readonly timeoutMs?: number;
  /** Extra attempts on network errors, timeouts, 5xx and 429 (default 2). */
  readonly retries?: number;
  /** Backoff base: retry k (0-based) waits uniform [0, backoffBaseMs · 2^k), full jitter (default 250 ms). */
  readonly backoffBaseMs?: number;
  /** Points per query_range request; longer reads are split (Prometheus refuses more than 11,000; default). */
  readonly maxPointsPerQuery?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Waits between retries; injectable for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1) source of the retry jitter (default Math.random); injectable for tests. */
  readonly random?: () => number;
}

/** Prometheus' own limit on points per series in one query_range answer. */
export const PROMETHEUS_MAX_POINTS = 11_000;

/** Tolerance when matching an answered evaluation time to the step grid (Prometheus answers in ms). */
const GRID_TOLERANCE_S = 0.002;

/**
 * Demand history from the Prometheus HTTP API (`GET /api/v1/query_range`).
 *
 * Alignment: the step [s, s + stepS) takes the value Prometheus evaluates at s + stepS, its end, so a template
 * such as `sum(rate(warmpool_inference_requests_total{model="{{model}}"}[{{step}}]))` gives the mean rate of that
 * step. Long reads are split into requests of at most `maxPointsPerQuery` points.
 *
 * Degradation: no series, missing points, and values that are NaN, ±Inf or negative are gaps
 * (meanPerS = NaN); `read` does not throw for them. It throws HistoryUnavailableError (code
 * E_HISTORY_UNAVAILABLE) when Prometheus cannot be reached, times out or answers 5xx/429 after the retries,
 * HistoryResponseError (E_HISTORY_RESPONSE) for error answers, bodies that are not query_range JSON, and
 * queries that return more than one series, and ValidationError for bad arguments. Every error names
 * the URL and the query.
 */
export class PrometheusHistorySource implements HistorySource {
  readonly name = 'prometheus';
  private readonly client: QueryRangeClient;
  private readonly opts: PrometheusHistorySourceOptions;
  private readonly maxPoints: number;

  constructor(opts: PrometheusHistorySourceOptions) {
    this.opts = opts;
    this.maxPoints = Math.max(1, Math.floor(opts.maxPointsPerQuery ?? PROMETHEUS_MAX_POINTS));
    this.client = new QueryRangeClient({
      url: opts.url,
      timeoutMs: opts.timeoutMs ?? 10_000,
      retries: opts.retries ?? 2,
      backoffBaseMs: opts.backoffBaseMs ?? 250,
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.sleep ? { sleep: opts.sleep } : {}),
      ...(opts.random ? { random: opts.random } : {}),
    });
  }

  /** The query_range URL this source calls. */
  get endpoint(): string {
    return this.client.endpoint;
  }

  async read(model: string, fromS: number, toS: number, stepS: number): Promise<StepObservation[]> {
    const range = checkReadRange(this.name, model, fromS, toS, stepS);
    const queries = this.opts.models?.[model] ?? this.opts;
    const meanQuery = renderPromql(queries.query, model, stepS);
    const peakQuery = queries.peakQuery === undefined ? undefined : renderPromql(queries.peakQuery, model, stepS);
    const [mean, peak] = await Promise.all([
      this.readSeries(range, meanQuery),
      peakQuery === undefined ? Promise.resolve(undefined) : this.readSeries(range, peakQuery),
    ]);
    return toObservations(range, mean, peak ?? mean);
  }

  async close(): Promise<void> {
    this.client.close();
  }

  /** One value per step (NaN where Prometheus has none), fetched in chunks of at most maxPoints. */
  private async readSeries(range: ReadRange, query: string): Promise<Float64Array> {
    const values = new Float64Array(range.count).fill(NaN);
    for (let first = 0; first < range.count; first += this.maxPoints) {
      const last = Math.min(range.count, first + this.maxPoints) - 1;
      const startS = stepStartS(range, first) + range.stepS;
      const endS = stepStartS(range, last) + range.stepS;
      const points = await this.client.queryRange(query, startS, endS, range.stepS);
      for (const [timeS, value] of points) {
        const offset = (timeS - (range.fromS + range.stepS)) / range.stepS;
        const i = Math.round(offset);
        if (i < first || i > last || Math.abs(offset - i) * range.stepS > GRID_TOLERANCE_S) continue;
        values[i] = Number.isFinite(value) && value >= 0 ? value : NaN;
      }
    }
    return values;
  }
}
