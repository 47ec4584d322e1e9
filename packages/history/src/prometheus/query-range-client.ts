import { HistoryResponseError } from '../errors/history-response-error.js';
import { HistoryUnavailableError } from '../errors/history-unavailable-error.js';
import { parseQueryRange, prometheusErrorText, type PrometheusPoint } from './parse-query-range.js';

export interface QueryRangeClientOptions {
  /** Base URL of Prometheus, e.g. `http://127.0.0.1:9090` or `https://host/prometheus/`. */
  readonly url: string;
  /** Bound on one HTTP attempt, answer body included. */
  readonly timeoutMs: number;
  /** Extra attempts after the first on network errors, timeouts, HTTP 5xx and 429. */
  readonly retries: number;
  /** Backoff before retry k (0-based) is backoffBaseMs · 2^k. */
  readonly backoffBaseMs: number;
  /** Extra request headers (e.g. `Authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Waits between retries; injectable so tests do not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A failed attempt that may be retried, with the error to throw when no attempt is left. */
class RetryableFailure {
  constructor(readonly error: HistoryUnavailableError) {}
}

/** `GET /api/v1/query_range` with a bounded timeout per attempt and retries with exponential backoff. */
export class QueryRangeClient {
  readonly endpoint: string;
  private readonly opts: QueryRangeClientOptions;
  private readonly closing = new AbortController();

  constructor(opts: QueryRangeClientOptions) {
    this.opts = opts;
    const base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
    this.endpoint = new URL('api/v1/query_range', base).toString();
  }

  /** Points of the single series the query answers over [startS, endS] every stepS (evaluation times). */
  async queryRange(query: string, startS: number, endS: number, stepS: number): Promise<PrometheusPoint[]> {
    const url = new URL(this.endpoint);
    url.searchParams.set('query', query);
    url.searchParams.set('start', String(startS));
    url.searchParams.set('end', String(endS));
    url.searchParams.set('step', String(stepS));
    const sleep = this.opts.sleep ?? realSleep;
    for (let attempt = 0; ; attempt++) {
      if (this.closing.signal.aborted) throw new HistoryUnavailableError('prometheus', this.endpoint, 'the source is closed', { query });
      const outcome = await this.attempt(url, query);
      if (!(outcome instanceof RetryableFailure)) return outcome;
      if (attempt >= this.opts.retries) throw outcome.error;
      await sleep(this.opts.backoffBaseMs * 2 ** attempt);
    }
  }

  /** Aborts requests in flight; later queries fail at once. */
  close(): void {
    this.closing.abort();
  }

  private async attempt(url: URL, query: string): Promise<PrometheusPoint[] | RetryableFailure> {
    const attempts = `after ${this.opts.retries + 1} attempt${this.opts.retries === 0 ? '' : 's'}`;
    const signal = AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.closing.signal]);
    let status: number;
    let text: string;
    try {
      const res = await fetch(url, { headers: { accept: 'application/json', ...this.opts.headers }, signal });
      status = res.status;
      text = await res.text();
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const problem = timedOut ? `no answer within ${this.opts.timeoutMs} ms` : `request failed: ${describe(err)}`;
      return new RetryableFailure(new HistoryUnavailableError('prometheus', this.endpoint, `${problem} (${attempts})`, { query, cause: err }));
    }
    if (status >= 500 || status === 429) {
      const error = prometheusErrorText(text);
      const detail = error === undefined ? '' : `: ${error}`;
      return new RetryableFailure(
        new HistoryUnavailableError('prometheus', this.endpoint, `HTTP ${status} (${attempts})${detail}`, { query }),
      );
    }
    const points = parseQueryRange(text, this.endpoint, query, status);
    if (status < 200 || status >= 300) {
      throw new HistoryResponseError('prometheus', this.endpoint, `HTTP ${status} with a success body`, { query });
    }
    return points;
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
