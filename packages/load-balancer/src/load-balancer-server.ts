import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { MODEL_NAME_PATTERN, ValidationError, type ReplicaRegistration } from '@warmpool/domain';
import { BodyTooLargeError, closeHttp, listenHttp, sendJson, sendText } from '@warmpool/telemetry';
import { ByteBudget } from './byte-budget.js';
import { DemandRecorder } from './demand-recorder.js';
import { BodyTimeoutError } from './errors/body-timeout-error.js';
import { OverloadedError } from './errors/overloaded-error.js';
import { HealthChecker, probeReady, type HealthCheckerOptions } from './health-checker.js';
import { LoadBalancerMetrics, type RefusalReason } from './load-balancer-metrics.js';
import { ModelCatalog } from './model-catalog.js';
import { parseRegistration } from './registration-request.js';
import { bearerToken, CredentialCheck } from './replica-credential.js';
import { ReplicaPool, type PoolReplica, type ReplicaPoolOptions } from './replica-pool.js';
import { decodePart, describeReplica } from './replica-view.js';
import { readBodyWithin } from './request-body.js';
import { UpstreamProxy } from './upstream-proxy.js';

export interface LoadBalancerOptions {
  /**
   * The shared secret. As a bearer token it is the admin credential (the daemon, operators, Prometheus); each replica
   * gets its own credential derived from it (`deriveReplicaToken(secret, replicaId)`), valid for its own id only.
   */
  readonly token: string;
  readonly host?: string;
  readonly port?: number;
  /** Models served from the start (more are added as replicas register for them, up to `maxModels`). */
  readonly models?: readonly string[];
  /** Most models with per-model state (demand, metric series). Default 256. */
  readonly maxModels?: number;
  readonly pool?: Partial<ReplicaPoolOptions>;
  readonly health?: Partial<HealthCheckerOptions>;
  /** Seconds of per-second demand kept per model. */
  readonly demandRetainS?: number;
  /** Longest a deregistration waits for the replica's in-flight requests. */
  readonly drainTimeoutMs?: number;
  /** Timeout of one proxied request (idle socket, also while its answer streams). */
  readonly upstreamTimeoutMs?: number;
  /** Longest one proxied request may take in all, its answer included; past it the answer is cut. Default 600 000. */
  readonly upstreamDeadlineMs?: number;
  /** Largest inference request body. Default 16 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Longest a request body may take to arrive, from its headers; past it: 408 and the connection closed. Default
   * 30 000 ms: a client trickling its body cannot hold buffered bytes and an in-flight slot for minutes.
   */
  readonly bodyTimeoutMs?: number;
  /** Request body bytes held in memory at once across all requests; past it: 503 + Retry-After. Default 64 MiB. */
  readonly maxBufferedBytes?: number;
  /** Proxied requests in flight at once; past it: 503 + Retry-After. Default 1024. */
  readonly maxInFlight?: number;
  /** Epoch ms (injected in tests). */
  readonly nowMs?: () => number;
  readonly log?: (event: Record<string, unknown>) => void;
}

const INFER_PATH = /^\/v1\/models\/([^/]+)\/infer$/;
const REPLICA_PATH = /^\/replicas\/([^/]+)$/;
const REGISTRATION_MAX_BYTES = 64 * 1024;
/** A refused request's body up to this size is read and dropped (keep-alive); a larger one closes the connection. */
const DRAIN_MAX_BYTES = 64 * 1024;
const DEFAULT_BODY_TIMEOUT_MS = 30_000;

/**
 * The local load balancer. Data path, open: `POST /v1/models/{name}/infer` to ready replicas of a served model (least
 * outstanding requests, slow start for new ones), retried once elsewhere on a refused connection or a 503; the answer
 * streams through. Everything else but `/livez` needs a bearer token: the shared secret, or for `POST /replicas`,
 * `GET|DELETE /replicas/{id}` the replica's own derived credential. Bounded: only served models get state, request
 * bodies in memory and requests in flight are capped (503 + Retry-After), metric labels are bounded sets.
 * Membership converges: a replica removed after failed checks is still probed and comes back once ready.
 */
export class LoadBalancerServer {
  readonly pool: ReplicaPool;
  readonly demand: DemandRecorder;
  readonly health: HealthChecker;
  readonly models: ModelCatalog;
  readonly budget: ByteBudget;
  readonly metrics: LoadBalancerMetrics;
  private readonly server: Server;
  private readonly credentials: CredentialCheck;
  private readonly proxy: UpstreamProxy;
  private readonly now: () => number;
  private readonly log: (event: Record<string, unknown>) => void;
  private inFlight = 0;
  private readonly bodyTimeoutMs: number;

  constructor(private readonly opts: LoadBalancerOptions) {
    if (!opts.token)
      throw new ValidationError(
        [{ path: 'token', value: opts.token, allowed: 'a non-empty shared token' }],
        'load balancer options',
      );
    this.credentials = new CredentialCheck(opts.token);
    this.now = opts.nowMs ?? Date.now;
    this.bodyTimeoutMs = opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS;
    if (!(this.bodyTimeoutMs > 0))
      throw new ValidationError(
        [{ path: 'bodyTimeoutMs', value: opts.bodyTimeoutMs, allowed: 'a number of milliseconds > 0' }],
        'load balancer options',
      );
    this.log = opts.log ?? (() => {});
    const maxModels = opts.maxModels ?? 256;
    this.models = new ModelCatalog(opts.models ?? [], maxModels);
    this.pool = new ReplicaPool(opts.pool);
    this.demand = new DemandRecorder(opts.demandRetainS ?? 600, maxModels);
    this.budget = new ByteBudget(opts.maxBufferedBytes ?? 64 * 2 ** 20);
    this.health = new HealthChecker(
      this.pool,
      opts.health,
      (event, r, detail) => this.log({ event, replicaId: r.id, model: r.model, url: r.url, detail }),
      this.now,
    );
    this.metrics = new LoadBalancerMetrics(this.pool, this.demand, this.budget, this.now, () => this.inFlight);
    this.proxy = new UpstreamProxy(this.pool, {
      upstreamTimeoutMs: opts.upstreamTimeoutMs ?? 30_000,
      upstreamDeadlineMs: opts.upstreamDeadlineMs ?? 600_000,
      nowMs: this.now,
      log: this.log,
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent)
          sendJson(res, 500, { error: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) });
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

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://lb');
    } catch {
      return this.refuse(req, res, 400, 'bad_request', {
        error: 'E_BAD_PATH',
        message: `request target ${JSON.stringify((req.url ?? '').slice(0, 100))} is not a valid path`,
      });
    }
    const infer = INFER_PATH.exec(url.pathname);
    if (infer) {
      if (method !== 'POST')
        return this.refuse(req, res, 405, 'bad_request', {
          error: 'E_METHOD',
          message: `${method} ${url.pathname}: use POST`,
        });
      return this.infer(infer[1]!, url.pathname, req, res);
    }
    if (url.pathname === '/livez' && method === 'GET') return sendJson(res, 200, { live: true });
    const one = REPLICA_PATH.exec(url.pathname);
    let replicaId: string | undefined;
    if (one) {
      replicaId = decodePart(one[1]!);
      if (replicaId === undefined)
        return this.refuse(req, res, 400, 'bad_request', {
          error: 'E_BAD_PATH',
          message: `replica id in ${url.pathname} is not valid percent-encoding`,
        });
    }
    if (url.pathname === '/replicas' && method === 'POST') return this.register(req, res);
    const adminOnly = ['/metrics', '/demand', '/replicas'].includes(url.pathname) && method === 'GET';
    const onReplica = one !== null && (method === 'GET' || method === 'DELETE');
    if (!adminOnly && !onReplica)
      return this.refuse(req, res, 404, 'bad_request', {
        error: 'E_NOT_FOUND',
        message: `no route ${method} ${url.pathname}`,
      });
    const caller = this.credentials.caller(req.headers.authorization, replicaId);
    if (caller.kind === 'none')
      return this.unauthorized(
        req,
        res,
        onReplica ? `the shared token or replica ${replicaId}'s own credential` : 'the shared token',
      );
    req.resume();
    if (onReplica) return method === 'GET' ? this.describeOne(replicaId!, res) : this.deregister(replicaId!, res);
    if (url.pathname === '/metrics') return sendText(res, 200, this.metrics.contentType, await this.metrics.render());
    if (url.pathname === '/demand') return this.demandSeries(url, res);
    const model = url.searchParams.get('model') ?? undefined;
    return sendJson(res, 200, { replicas: this.pool.list(model).map((r) => this.describe(r)) });
  }

  /**
   * Answers without keeping the body: a small declared body (at most 64 KiB) still arriving is read and dropped so the
   * connection stays usable; a larger or undeclared one ends the connection instead of being read.
   */
  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    reason: RefusalReason,
    body: Record<string, unknown>,
    headers: Record<string, string> = {},
    closeConnection = false,
  ): void {
    this.metrics.refusedFor(reason);
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    const declared = Number(req.headers['content-length'] ?? NaN);
    const drop =
      !closeConnection &&
      !req.complete &&
      !req.readableEnded &&
      Number.isInteger(declared) &&
      declared <= DRAIN_MAX_BYTES;
    if (drop) req.resume();
    else if (!req.complete) res.setHeader('connection', 'close');
    sendJson(res, status, body);
    if (!req.complete && !drop) res.once('finish', () => req.destroy());
  }

  private unauthorized(req: IncomingMessage, res: ServerResponse, what: string): void {
    this.refuse(
      req,
      res,
      401,
      'unauthorized',
      { error: 'E_UNAUTHORIZED', message: `needs Authorization: Bearer <${what}>` },
      { 'www-authenticate': 'Bearer' },
    );
  }

  /** A body that did not arrive in time: 408, and the connection closed (its remaining bytes are never read). */
  private bodyTimeout(req: IncomingMessage, res: ServerResponse, e: BodyTimeoutError): void {
    this.refuse(req, res, 408, 'bad_request', { error: e.code, message: e.message }, {}, true);
  }

  private overloaded(req: IncomingMessage, res: ServerResponse, e: OverloadedError): void {
    this.refuse(
      req,
      res,
      503,
      'overloaded',
      { error: e.code, message: e.message },
      { 'retry-after': String(e.retryAfterS) },
    );
  }

  private async register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const who = "the shared token or the replica's own credential";
    if (bearerToken(req.headers.authorization) === undefined) return this.unauthorized(req, res, who);
    let raw: Buffer;
    try {
      raw = await readBodyWithin(req, REGISTRATION_MAX_BYTES, this.budget, this.bodyTimeoutMs);
    } catch (e) {
      if (e instanceof OverloadedError) return this.overloaded(req, res, e);
      if (e instanceof BodyTimeoutError) return this.bodyTimeout(req, res, e);
      if (e instanceof BodyTooLargeError)
        return this.refuse(req, res, 413, 'body_too_large', { error: e.code, message: `registration: ${e.message}` });
      throw e;
    }
    this.budget.give(raw.length);
    let reg: ReplicaRegistration;
    try {
      reg = parseRegistration(JSON.parse(raw.toString('utf8')));
    } catch (e) {
      if (e instanceof ValidationError)
        return this.refuse(req, res, 400, 'bad_request', { error: e.code, message: e.message, issues: e.issues });
      return this.refuse(req, res, 400, 'bad_request', {
        error: 'E_BAD_JSON',
        message: `registration body is not JSON: ${(e as Error).message}`,
      });
    }
    if (this.credentials.caller(req.headers.authorization, reg.replicaId).kind === 'none')
      return this.unauthorized(req, res, `the shared token or replica ${reg.replicaId}'s own credential`);
    const existing = this.pool.get(reg.replicaId);
    let movedFrom: string | undefined;
    if (existing && !existing.draining && (existing.url !== reg.url || existing.model !== reg.model)) {
      const old = await probeReady(existing.url, this.health.options.timeoutMs, existing.model);
      if (old.ok) {
        this.log({
          event: 'replica-move-refused',
          replicaId: reg.replicaId,
          model: existing.model,
          url: existing.url,
          requestedModel: reg.model,
          requestedUrl: reg.url,
        });
        return sendJson(res, 409, {
          error: 'E_REPLICA_ID_TAKEN',
          message: `replica ${reg.replicaId} is registered for model ${existing.model} at ${existing.url}, which still answers /readyz; deregister it first (asked: model ${reg.model} at ${reg.url})`,
        });
      }
      movedFrom = existing.url;
    }
    if (!existing && this.pool.size >= this.pool.options.maxReplicas) {
      res.setHeader('retry-after', '5');
      return sendJson(res, 503, {
        error: 'E_POOL_FULL',
        message: `the load balancer holds ${this.pool.options.maxReplicas} replicas (its maxReplicas); replica ${reg.replicaId} not added`,
      });
    }
    if (!this.models.has(reg.model) && this.models.list().length >= this.models.maxModels) {
      return sendJson(res, 422, {
        error: 'E_TOO_MANY_MODELS',
        message: `the load balancer serves ${this.models.maxModels} models (its maxModels); model ${reg.model} not added`,
      });
    }
    const probe = await probeReady(reg.url, this.health.options.timeoutMs, reg.model);
    if (!probe.ok) {
      this.log({ event: 'register-refused', replicaId: reg.replicaId, model: reg.model, detail: probe.detail });
      return sendJson(res, 409, {
        error: 'E_REPLICA_NOT_READY',
        message: `replica ${reg.replicaId} at ${reg.url} is not ready: ${probe.detail}`,
      });
    }
    const r = this.pool.register(reg, this.now());
    if (!r) {
      res.setHeader('retry-after', '5');
      return sendJson(res, 503, {
        error: 'E_POOL_FULL',
        message: `the load balancer holds ${this.pool.options.maxReplicas} replicas (its maxReplicas); replica ${reg.replicaId} not added`,
      });
    }
    this.models.add(r.model);
    this.log({
      event: 'replica-registered',
      replicaId: r.id,
      model: r.model,
      url: r.url,
      executionProvider: r.executionProvider,
      ...(movedFrom ? { movedFromUrl: movedFrom, detail: 'the old URL no longer answers /readyz' } : {}),
    });
    sendJson(res, 201, { replica: this.describe(r) });
  }

  private describeOne(id: string, res: ServerResponse): void {
    const r = this.pool.get(id);
    if (!r) {
      sendJson(res, 404, { error: 'E_UNKNOWN_REPLICA', message: `replica ${id} is not registered` });
      return;
    }
    sendJson(res, 200, { replica: this.describe(r) });
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
    if (!model) {
      sendJson(res, 400, {
        error: 'E_VALIDATION',
        message: `query model: missing; served: ${this.models.list().join(', ')}`,
      });
      return;
    }
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > this.demand.retainS) {
      sendJson(res, 400, {
        error: 'E_VALIDATION',
        message: `query seconds: got ${url.searchParams.get('seconds')}, allowed: an integer in [1, ${this.demand.retainS}]`,
      });
      return;
    }
    sendJson(res, 200, this.demand.series(model, this.now(), seconds));
  }

  private async infer(rawName: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const model = decodePart(rawName);
    if (model === undefined)
      return this.refuse(req, res, 400, 'bad_request', {
        error: 'E_BAD_MODEL_NAME',
        message: `model name in ${path} is not valid percent-encoding`,
      });
    if (!MODEL_NAME_PATTERN.test(model)) {
      return this.refuse(req, res, 400, 'bad_request', {
        error: 'E_BAD_MODEL_NAME',
        message: `model name ${JSON.stringify(model.slice(0, 100))} in ${path} does not match ${MODEL_NAME_PATTERN}`,
      });
    }
    if (!this.models.has(model))
      return this.refuse(req, res, 404, 'unknown_model', {
        error: 'E_UNKNOWN_MODEL',
        message: `model ${model} is not served here`,
      });
    const t0 = performance.now();
    this.demand.record(model, this.now());
    let body: Buffer;
    try {
      body = await readBodyWithin(req, this.opts.maxBodyBytes ?? 16 * 2 ** 20, this.budget, this.bodyTimeoutMs);
    } catch (e) {
      if (e instanceof OverloadedError) return this.overloaded(req, res, e);
      if (e instanceof BodyTimeoutError) {
        this.metrics.finished(model, 408, (performance.now() - t0) / 1000);
        return this.bodyTimeout(req, res, e);
      }
      if (e instanceof BodyTooLargeError) {
        this.metrics.finished(model, 413, (performance.now() - t0) / 1000);
        return this.refuse(req, res, 413, 'body_too_large', { error: e.code, message: e.message });
      }
      res.destroy(); // the client went away while sending
      return;
    }
    // Counted in flight once its body is in: requests still sending theirs are bounded by the body budget and
    // bodyTimeoutMs, so stalled uploads cannot take the slots of requests ready to go.
    const maxInFlight = this.opts.maxInFlight ?? 1024;
    if (this.inFlight >= maxInFlight) {
      this.budget.give(body.length);
      return this.overloaded(
        req,
        res,
        new OverloadedError(`${maxInFlight} requests in flight (the load balancer's maxInFlight); retry shortly`),
      );
    }
    this.inFlight += 1;
    try {
      const status = await this.proxy.send(model, path, req, body, res);
      this.metrics.finished(model, status, (performance.now() - t0) / 1000);
    } finally {
      this.budget.give(body.length);
      this.inFlight -= 1;
    }
  }

  private describe(r: PoolReplica): Record<string, unknown> {
    return describeReplica(this.pool, r, this.now());
  }
}
