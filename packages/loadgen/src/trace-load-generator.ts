import { setMaxListeners } from 'node:events';
import { Agent, request } from 'node:http';
import { buildArrivals, scaleForPeak, type Arrival } from './arrival-schedule.js';
import { LoadGeneratorError } from './errors/load-generator-error.js';
import { resolveLoadOptions, type LoadGeneratorOptions, type ResolvedLoadOptions } from './load-generator-options.js';
import { summarizeLoad, type LoadSummary } from './load-summary.js';
import type { RequestRecord } from './request-record.js';
import { requestBody, shapeLabel } from './request-shape.js';
import { SeededRandom } from '@warmpool/domain';
import { isStaleKeepAliveReset } from '@warmpool/telemetry';

export type StopCause = 'completed' | 'time-limit' | 'stopped';

export interface LoadRunResult {
  /** Epoch ms the run started; arrival offsets count from here. */
  readonly startMs: number;
  readonly endMs: number;
  /** Arrivals planned from the trace (after the request cap). */
  readonly planned: number;
  /** Planned arrivals never sent (the run stopped first). */
  readonly notSent: number;
  readonly stoppedBy: StopCause;
  /** The scale applied to the trace counts. */
  readonly scale: number;
  readonly records: readonly RequestRecord[];
  readonly summary: LoadSummary;
}

/**
 * Replays a trace as real HTTP requests against the load balancer (`POST
 * {targetUrl}/v1/models/{model}/infer`): time-compressed by `speedX`, scaled, arrivals from a
 * seeded PRNG, bodies drawn from the shapes, at most `maxConcurrency` in flight (a due request
 * waits for a slot; the wait is recorded), at most `maxRequests`, and stops by itself after
 * `timeLimitMs` (in-flight requests aborted). Loopback targets only.
 */
export class TraceLoadGenerator {
  readonly options: ResolvedLoadOptions;
  readonly arrivals: readonly Arrival[];
  readonly scale: number;
  private readonly controller = stopSignalController();
  private stopCause: StopCause | undefined;
  private wake: (() => void) | undefined;
  private running = false;

  /** `onRecord`: told each request's record as it completes (a live latency view); must not throw. */
  constructor(
    options: LoadGeneratorOptions,
    private readonly summaryOptions: {
      latencyTargetMs?: number;
      windowS?: number;
      onRecord?: (r: RequestRecord) => void;
    } = {},
  ) {
    this.options = resolveLoadOptions(options);
    const o = this.options;
    this.scale = o.peakPerS !== undefined ? scaleForPeak(o.trace, o.speedX, o.peakPerS) : o.scale;
    this.arrivals = buildArrivals(o.trace, {
      speedX: o.speedX,
      scale: this.scale,
      arrival: o.arrival,
      seed: o.seed,
      shapeCount: o.shapes.length,
      maxRequests: o.maxRequests,
    });
  }

  /** Ends the run early: nothing more is sent, in-flight requests are aborted. */
  stop(): void {
    this.halt('stopped');
  }

  private halt(cause: StopCause): void {
    if (this.stopCause) return;
    this.stopCause = cause;
    this.controller.abort();
    this.wake?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }

  async run(): Promise<LoadRunResult> {
    if (this.running) throw new LoadGeneratorError('E_ALREADY_RUN', 'a TraceLoadGenerator runs once; make a new one');
    this.running = true;
    const o = this.options;
    const agent = new Agent({ keepAlive: true, maxSockets: o.maxConcurrency });
    const rng = new SeededRandom((o.seed ^ 0x9e3779b9) >>> 0);
    const url = new URL(
      `v1/models/${encodeURIComponent(o.model)}/infer`,
      o.target.href.endsWith('/') ? o.target.href : `${o.target.href}/`,
    );
    const records: RequestRecord[] = [];
    const inFlight = new Set<Promise<void>>();
    const t0 = performance.now();
    const startMs = o.nowMs();
    const at = (): number => startMs + (performance.now() - t0);
    const limit = setTimeout(() => this.halt('time-limit'), o.timeLimitMs);
    let sent = 0;
    try {
      for (let i = 0; i < this.arrivals.length && !this.stopCause; i++) {
        const a = this.arrivals[i]!;
        const waitMs = a.atMs - (performance.now() - t0);
        if (waitMs > 1) await this.pause(waitMs);
        while (inFlight.size >= o.maxConcurrency && !this.stopCause) {
          await Promise.race([...inFlight, new Promise<void>((resolve) => (this.wake = resolve))]);
        }
        if (this.stopCause) break;
        const shape = o.shapes[a.shape]!;
        const body = requestBody(shape, rng, o.tokenIdMax);
        const p = this.send(url, agent, body, i, startMs + a.atMs, at, shapeLabel(shape)).then((r) => {
          records.push(r);
          inFlight.delete(p);
          this.summaryOptions.onRecord?.(r);
        });
        inFlight.add(p);
        sent++;
      }
      await Promise.all(inFlight);
    } finally {
      clearTimeout(limit);
      agent.destroy();
    }
    records.sort((x, y) => x.index - y.index);
    return {
      startMs,
      endMs: at(),
      planned: this.arrivals.length,
      notSent: this.arrivals.length - sent,
      stoppedBy: this.stopCause ?? 'completed',
      scale: this.scale,
      records,
      summary: summarizeLoad(records, { startMs, ...this.summaryOptions }),
    };
  }

  private send(
    url: URL,
    agent: Agent,
    body: string,
    index: number,
    scheduledAtMs: number,
    at: () => number,
    shape: string,
  ): Promise<RequestRecord> {
    const sentAtMs = at();
    return new Promise((resolve) => {
      let settled = false;
      const done = (status: number, replicaId: string | undefined, error?: string): void => {
        if (settled) return;
        settled = true;
        resolve({
          index,
          scheduledAtMs,
          sentAtMs,
          latencyMs: at() - sentAtMs,
          status,
          ...(replicaId ? { replicaId } : {}),
          shape,
          ...(error ? { error } : {}),
        });
      };
      // A keep-alive socket the server closed just as this request went out fails with ECONNRESET before any answer:
      // like browsers and HTTP client libraries, send it again once on a fresh connection (Node's documented
      // `reusedSocket` retry); its latency still counts from the first send.
      const attempt = (retried: boolean): void => {
        let answered = false;
        const req = request(
          url,
          {
            method: 'POST',
            agent: retried ? false : agent,
            signal: this.controller.signal,
            timeout: this.options.requestTimeoutMs,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
          },
          (res) => {
            answered = true;
            const replica = res.headers['x-warmpool-replica'];
            res.on('data', () => {});
            res.on('end', () => done(res.statusCode ?? 0, typeof replica === 'string' ? replica : undefined));
            res.on('error', (e) => done(0, undefined, e.message));
          },
        );
        req.on('timeout', () => req.destroy(new Error(`timed out after ${this.options.requestTimeoutMs} ms`)));
        req.on('error', (e: NodeJS.ErrnoException) => {
          if (!retried && !answered && !settled && isStaleKeepAliveReset(req, e)) return attempt(true);
          done(0, undefined, e.name === 'AbortError' ? 'aborted' : (e.code ?? e.message));
        });
        req.end(body);
      };
      attempt(false);
    });
  }
}

/** One abort signal for every in-flight request (hundreds at once): no listener-count warning for it. */
function stopSignalController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}
