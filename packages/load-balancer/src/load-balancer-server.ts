import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ValidationError } from '@warmpool/domain';
import { BodyTooLargeError, closeHttp, listenHttp, PROMETHEUS_CONTENT_TYPE, PrometheusText, readBody, sendJson, sendText } from '@warmpool/telemetry';
import { DemandRecorder } from './demand-recorder.js';
import { HealthChecker, probeReady, type HealthCheckerOptions } from './health-checker.js';
import { parseRegistration } from './registration-request.js';
import { ReplicaPool, type PoolReplica, type ReplicaPoolOptions } from './replica-pool.js';

export interface LoadBalancerOptions {
  /** Shared token for the registration API (`Authorization: Bearer <token>`). */
  readonly token: string;
  readonly host?: string;
  readonly port?: number;
  readonly pool?: Partial<ReplicaPoolOptions>;
  readonly health?: Partial<HealthCheckerOptions>;
  /** Seconds of per-second demand kept per model. */
  readonly demandRetainS?: number;
  /** Longest a deregistration waits for the replica's in-flight requests. */
  readonly drainTimeoutMs?: number;
  /** Timeout of one proxied request. */
  readonly upstreamTimeoutMs?: number;
  readonly maxBodyBytes?: number;
  /** Epoch ms (injected in tests). */
  readonly nowMs?: () => number;
  readonly log?: (event: Record<string, unknown>) => void;
}

const INFER_PATH = /^\/v1\/models\/([^/]+)\/infer$/;
const REPLICA_PATH = /^\/replicas\/([^/]+)$/;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/**
 * The local load balancer. Routes `POST /v1/models/{name}/infer` to ready replicas of that model
 * (least outstanding requests, slow start for new ones), retrying once elsewhere on a refused
 * connection or a 503. Registration API behind a shared token: `POST /replicas` (checks the
 * replica's /readyz first: 409 when not ready), `DELETE /replicas/{id}` (stops routing, waits for
 * its in-flight requests), `GET /replicas`. Demand: `GET /demand?model=M&seconds=N` (per-second
 * counts) and `GET /metrics` (Prometheus). Active /readyz health checks remove failing replicas.
 */
export class LoadBalancerServer {
  readonly pool: ReplicaPool;
  readonly demand: DemandRecorder;
  readonly health: HealthChecker;
  private readonly server: Server;
  private readonly tokenDigest: Buffer;
  private readonly now: () => number;
  private readonly log: (event: Record<string, unknown>) => void;

  constructor(private readonly opts: LoadBalancerOptions) {
    if (!opts.token) throw new ValidationError([{ path: 'token', value: opts.token, allowed: 'a non-empty shared token' }], 'load balancer options');
    this.tokenDigest = digest(opts.token);
    this.now = opts.nowMs ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.pool = new ReplicaPool(opts.pool);
    this.demand = new DemandRecorder(opts.demandRetainS ?? 600);
    this.health = new HealthChecker(this.pool, opts.health, (r, detail) => this.log({ event: 'replica-removed', replicaId: r.id, model: r.model, detail }));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) });
        else res.destroy();
      });
    });
  }

  async listen(): Promise<{ url: string; port: number }> {
    const address = await listenHttp(this.server, this.opts.port ?? 0, this.opts.host ?? '127.0.0.1');
    this.health.start();
    return address;
  }

  async close(): Promise<void> {
    await this.health.stop();
    await closeHttp(this.server);
  }

  private authorized(req: IncomingMessage): boolean {
    const h = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(h);
    return m !== null && timingSafeEqual(digest(m[1]!), this.tokenDigest);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://lb');
    const method = req.method ?? 'GET';
    const infer = INFER_PATH.exec(url.pathname);
    if (infer) {
      if (method !== 'POST') return sendJson(res, 405, { error: 'E_METHOD', message: `${method} ${url.pathname}: use POST` });
      return this.proxy(decodeURIComponent(infer[1]!), url.pathname, req, res);
    }
    if (url.pathname === '/livez' && method === 'GET') return sendJson(res, 200, { live: true });
    if (url.pathname === '/metrics' && method === 'GET') return sendText(res, 200, PROMETHEUS_CONTENT_TYPE, this.metrics());
    if (url.pathname === '/demand' && method === 'GET') return this.demandSeries(url, res);
    if (url.pathname === '/replicas' && method === 'GET') return sendJson(res, 200, { replicas: this.pool.list().map((r) => this.describe(r)) });
    const one = REPLICA_PATH.exec(url.pathname);
    if ((url.pathname === '/replicas' && method === 'POST') || (one && method === 'DELETE')) {
      if (!this.authorized(req)) {
        req.resume();
        return sendJson(res, 401, { error: 'E_UNAUTHORIZED', message: 'registration API needs Authorization: Bearer <shared token>' });
      }
      return one ? this.deregister(decodeURIComponent(one[1]!), res) : this.register(req, res);
    }
    req.resume();
    return sendJson(res, 404, { error: 'E_NOT_FOUND', message: `no route ${method} ${url.pathname}` });
  }

  private async register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let reg;
    try {
      reg = parseRegistration(JSON.parse((await readBody(req, 64 * 1024)).toString('utf8')));
    } catch (e) {
      if (e instanceof ValidationError) return sendJson(res, 400, { error: e.code, message: e.message, issues: e.issues });
      return sendJson(res, 400, { error: 'E_BAD_JSON', message: `registration body is not JSON: ${(e as Error).message}` });
    }
    const probe = await probeReady(reg.url, this.health.options.timeoutMs);
    if (!probe.ok) {
      this.log({ event: 'register-refused', replicaId: reg.replicaId, model: reg.model, detail: probe.detail });
      return sendJson(res, 409, { error: 'E_REPLICA_NOT_READY', message: `replica ${reg.replicaId} at ${reg.url} is not ready: ${probe.detail}` });
    }
    const r = this.pool.register(reg, this.now());
    this.log({ event: 'replica-registered', replicaId: r.id, model: r.model, url: r.url, executionProvider: r.executionProvider });
    sendJson(res, 201, { replica: this.describe(r) });
  }

  private async deregister(id: string, res: ServerResponse): Promise<void> {
    const r = this.pool.get(id);
    if (!r) return sendJson(res, 404, { error: 'E_UNKNOWN_REPLICA', message: `replica ${id} is not registered` });
    r.draining = true;
    const deadline = this.now() + (this.opts.drainTimeoutMs ?? 30_000);
    while (r.outstanding > 0 && this.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    if (this.pool.get(id) === r) this.pool.remove(id);
    this.log({ event: 'replica-deregistered', replicaId: id, model: r.model, leftOutstanding: r.outstanding });
    sendJson(res, 200, { replicaId: id, drained: r.outstanding === 0, outstanding: r.outstanding });
  }

  private demandSeries(url: URL, res: ServerResponse): void {
    const model = url.searchParams.get('model');
    const seconds = Number(url.searchParams.get('seconds') ?? '60');
    if (!model) return sendJson(res, 400, { error: 'E_VALIDATION', message: `query model: missing; known: ${this.demand.modelNames().join(', ')}` });
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > this.demand.retainS) {
      return sendJson(res, 400, { error: 'E_VALIDATION', message: `query seconds: got ${url.searchParams.get('seconds')}, allowed: an integer in [1, ${this.demand.retainS}]` });
    }
    sendJson(res, 200, this.demand.series(model, this.now(), seconds));
  }

  private async proxy(model: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = this.now();
    const t0 = performance.now();
    this.demand.record(model, started);
    const finish = (code: number, body?: unknown): void => {
      this.demand.finish(model, code, (performance.now() - t0) / 1000);
      if (body !== undefined) sendJson(res, code, body);
    };
    let body: Buffer;
    try {
      body = await readBody(req, this.opts.maxBodyBytes ?? 16 * 2 ** 20);
    } catch (e) {
      if (e instanceof BodyTooLargeError) return finish(413, { error: e.code, message: e.message });
      throw e;
    }
    const tried = new Set<string>();
    let lastProblem = 'no replica registered and ready';
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = this.pool.pick(model, this.now(), tried);
      if (!r) break;
      tried.add(r.id);
      r.outstanding += 1;
      try {
        const up = await this.forward(r, path, req, body);
        if (up.status === 503 && attempt === 0 && this.pool.pick(model, this.now(), tried)) {
          lastProblem = `replica ${r.id} answered 503`;
          continue;
        }
        res.writeHead(up.status, { 'content-type': up.contentType, 'x-warmpool-replica': r.id, 'content-length': up.body.length });
        res.end(up.body);
        return finish(up.status);
      } catch (e) {
        r.failures += 1;
        r.ready = false; // the next health check brings it back if it recovers
        r.lastError = (e as Error).message;
        lastProblem = `replica ${r.id} at ${r.url}: ${(e as Error).message}`;
      } finally {
        r.outstanding -= 1;
      }
    }
    finish(503, { error: 'E_NO_REPLICA', message: `no ready replica for model ${model} (${lastProblem})` });
  }

  /**
   * One request to a replica. A keep-alive socket the replica closed just as the request went out (ECONNRESET on a
   * reused socket, before any answer) is not the replica's failure: the request goes again once on a fresh
   * connection (Node's documented `reusedSocket` retry) instead of taking the replica out of rotation.
   */
  private forward(r: PoolReplica, path: string, req: IncomingMessage, body: Buffer, retried = false): Promise<{ status: number; contentType: string; body: Buffer }> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const up = httpRequest(
        `${r.url}${path}`,
        {
          method: 'POST',
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json', 'content-length': body.length },
          timeout: this.opts.upstreamTimeoutMs ?? 30_000,
          ...(retried ? { agent: false } : {}), // the retry on a connection of its own, not another pooled one
        },
        (upRes) => {
          answered = true;
          const chunks: Buffer[] = [];
          upRes.on('data', (c: Buffer) => chunks.push(c));
          upRes.on('end', () => resolve({ status: upRes.statusCode ?? 502, contentType: String(upRes.headers['content-type'] ?? 'application/json'), body: Buffer.concat(chunks) }));
          upRes.on('error', reject);
        },
      );
      up.on('timeout', () => up.destroy(new Error(`timed out after ${this.opts.upstreamTimeoutMs ?? 30_000} ms`)));
      up.on('error', (e: NodeJS.ErrnoException) => {
        if (!retried && !answered && up.reusedSocket && e.code === 'ECONNRESET') {
          this.log({ event: 'upstream-stale-socket', replicaId: r.id, model: r.model, detail: 'keep-alive connection closed by the replica; sent again on a new one' });
          this.forward(r, path, req, body, true).then(resolve, reject);
          return;
        }
        reject(new Error(e.code ?? e.message));
      });
      up.end(body);
    });
  }

  private describe(r: PoolReplica): Record<string, unknown> {
    return {
      replicaId: r.id,
      model: r.model,
      url: r.url,
      executionProvider: r.executionProvider,
      ready: r.ready,
      draining: r.draining,
      outstanding: r.outstanding,
      weight: this.pool.weight(r, this.now()),
      failures: r.failures,
      lastError: r.lastError,
    };
  }

  private metrics(): string {
    const out = new PrometheusText();
    out.family('warmpool_lb_replicas', 'gauge', 'Registered replicas by model and state.');
    const counts = new Map<string, number>();
    for (const r of this.pool.list()) {
      const state = r.draining ? 'draining' : r.ready ? 'ready' : 'unready';
      const key = `${r.model}\u0000${state}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const [key, n] of counts) {
      const [model, state] = key.split('\u0000') as [string, string];
      out.sample('warmpool_lb_replicas', { model, state }, n);
    }
    out.family('warmpool_lb_replica_outstanding', 'gauge', 'Requests in flight per replica.');
    out.family('warmpool_lb_replica_weight', 'gauge', 'Slow-start weight per replica (1 = full).');
    for (const r of this.pool.list()) {
      out.sample('warmpool_lb_replica_outstanding', { model: r.model, replica: r.id }, r.outstanding);
      out.sample('warmpool_lb_replica_weight', { model: r.model, replica: r.id }, this.pool.weight(r, this.now()));
    }
    this.demand.write(out);
    out.family('warmpool_lb_demand_last_second', 'gauge', 'Requests in the last complete second per model.');
    for (const model of this.demand.modelNames()) out.sample('warmpool_lb_demand_last_second', { model }, this.demand.series(model, this.now() - 1000, 1).counts[0]!);
    return out.toString();
  }
}
