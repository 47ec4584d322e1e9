import { Backoff } from '@warmpool/domain';
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
  /** Full-jitter backoff: retry k (0-based) waits uniform [0, backoffBaseMs · 2^k), at least a 429/503's Retry-After. */
  readonly backoffBaseMs: number;
  /** Extra request headers (e.g. `Authorization`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Waits between retries; injectable so tests do not sleep. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform [0, 1) source of the jitter (default Math.random). */
  readonly random?: () => number;
}

/** Longest single wait between retries, and the most of a Retry-After honoured. */
const MAX_RETRY_DELAY_MS = 30_000;

/** A failed attempt that may be retried, with the error to throw when no attempt is left. */
class RetryableFailure {
  constructor(
    readonly error: HistoryUnavailableError,
    readonly retryAfterMs?: number,
  ) {}
}

/** A Retry-After header (seconds or an HTTP date) in ms from now; undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const s = Number(header);
  if (Number.isFinite(s)) return s >= 0 ? s * 1000 : undefined;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** `GET /api/v1/query_range` with a bounded timeout per attempt and retries with exponential backoff. */
export class QueryRangeClient {
  readonly endpoint: string;
  private readonly opts: QueryRangeClientOptions;
  private readonly closing = new AbortController();
  private readonly backoff: Backoff;

  constructor(opts: QueryRangeClientOptions) {
    this.opts = opts;
    this.backoff = new Backoff(
      {
        maxAttempts: opts.retries + 1,
        baseDelayMs: opts.backoffBaseMs,
        maxDelayMs: Math.max(opts.backoffBaseMs, MAX_RETRY_DELAY_MS),
        maxRetryAfterMs: MAX_RETRY_DELAY_MS,
        ...(opts.sleep ? { sleep: opts.sleep } : {}),
        ...(opts.random ? { random: opts.random } : {}),
      },
      'Prometheus history options',
    );
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
    return this.backoff.run(
      async () => {
        if (this.closing.signal.aborted)
          throw new HistoryUnavailableError('prometheus', this.endpoint, 'the source is closed', { query });
        return this.attempt(url, query);
      },
      (error) =>
        error instanceof RetryableFailure
          ? { retryable: true, ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}) }
          : { retryable: false },
      { giveUp: (error) => (error instanceof RetryableFailure ? error.error : error) },
    );
  }

  /** Aborts requests in flight; later queries fail at once. */
  close(): void {
    this.closing.abort();
  }

  /** One request; throws a RetryableFailure for what another attempt may fix. */
  private async attempt(url: URL, query: string): Promise<PrometheusPoint[]> {
    const attempts = `after ${this.opts.retries + 1} attempt${this.opts.retries === 0 ? '' : 's'}`;
    const signal = AbortSignal.any([AbortSignal.timeout(this.opts.timeoutMs), this.closing.signal]);
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetch(url, { headers: { accept: 'application/json', ...this.opts.headers }, signal });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      const problem = timedOut ? `no answer within ${this.opts.timeoutMs} ms` : `request failed: ${describe(err)}`;
      throw new RetryableFailure(
        new HistoryUnavailableError('prometheus', this.endpoint, `${problem} (${attempts})`, { query, cause: err }),
      );
    }
    if (status >= 500 || status === 429) {
      const error = prometheusErrorText(text);
      const detail = error === undefined ? '' : `: ${error}`;
      throw new RetryableFailure(
        new HistoryUnavailableError('prometheus', this.endpoint, `HTTP ${status} (${attempts})${detail}`, { query }),
        retryAfterMs(retryAfter),
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
