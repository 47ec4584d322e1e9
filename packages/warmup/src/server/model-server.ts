import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { ValidationError } from '@warmpool/domain';
import { BodyTooLargeError, closeHttp, listenHttp, PROMETHEUS_CONTENT_TYPE, readBody, sendJson, sendText } from '@warmpool/telemetry';
import { OverloadedError } from '../errors/overloaded-error.js';
import type { ModelReplica } from '../replica/model-replica.js';
import { encodeTensor, parseFeeds, type TensorJson } from '../session/tensor-json.js';
import { ReplicaMetrics } from './replica-metrics.js';

export interface ModelServerOptions {
  readonly replicas: readonly ModelReplica[];
  /** Loopback by default. */
  readonly host?: string;
  /** 0: an ephemeral port. */
  readonly port?: number;
  readonly maxBodyBytes?: number;
}

const INFER_PATH = /^\/v1\/models\/([^/]+)\/infer$/;

/**
 * The replica's HTTP face (node:http):
 * - `POST /v1/models/{name}/infer` body `{ "inputs": { "<input>": { "dims": [b, s], "data": [...] } } }`
 *   → 200 `{ "model", "outputs": { "<output>": { "dims", "type", "data" } }, "latencyMs" }`;
 *   400 bad tensors (every problem, with key paths), 404 unknown model, 413 body too large,
 *   503 not ready or busy (queue full).
 * - `GET /livez` 200 while the process runs; `GET /readyz` 200 once every model is ready, else 503
 *   with `{ ready: false, reason }`; `GET /startupz` 200 once loading and warm-up finished without
 *   failure; `GET /metrics` Prometheus text.
 */
export class ModelServer {
  private readonly server: Server;
  private readonly byName: Map<string, ModelReplica>;
  readonly metrics = new ReplicaMetrics();

  constructor(private readonly opts: ModelServerOptions) {
    this.byName = new Map(opts.replicas.map((r) => [r.name, r]));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { error: 'E_INTERNAL', message: e instanceof Error ? e.message : String(e) });
        else res.destroy();
      });
    });
    this.server.keepAliveTimeout = 5_000;
  }

  async listen(): Promise<{ url: string; port: number }> {
    return listenHttp(this.server, this.opts.port ?? 0, this.opts.host ?? '127.0.0.1');
  }

  /** Stops accepting connections and waits for open requests to finish. */
  async close(): Promise<void> {
    await closeHttp(this.server);
  }

  readiness(): { ready: boolean; reason: string | undefined; models: Record<string, unknown> } {
    const models: Record<string, unknown> = {};
    const notReady: string[] = [];
    for (const r of this.byName.values()) {
      const st = r.status();
      models[r.name] = { phase: st.phase, reason: st.reason, executionProvider: st.load?.executionProvider, converged: st.warmup?.converged };
      if (!r.ready) notReady.push(`${r.name}: ${st.phase}${st.reason ? ` (${st.reason})` : ''}`);
    }
    return { ready: notReady.length === 0, reason: notReady.length ? notReady.join('; ') : undefined, models };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') {
      if (path === '/livez') return sendJson(res, 200, { live: true });
      if (path === '/readyz') {
        const r = this.readiness();
        return sendJson(res, r.ready ? 200 : 503, r);
      }
      if (path === '/startupz') return this.startup(res);
      if (path === '/metrics') return sendText(res, 200, PROMETHEUS_CONTENT_TYPE, this.metrics.render([...this.byName.values()]));
    }
    const m = INFER_PATH.exec(path);
    if (m) {
      if (method !== 'POST') return sendJson(res, 405, { error: 'E_METHOD', message: `${method} ${path}: use POST` });
      return this.infer(decodeURIComponent(m[1]!), req, res);
    }
    return sendJson(res, 404, { error: 'E_NOT_FOUND', message: `no route ${method} ${path}` });
  }

  private startup(res: ServerResponse): void {
    const pending: string[] = [];
    const failed: string[] = [];
    for (const r of this.byName.values()) {
      const st = r.status();
      if (st.phase === 'failed') failed.push(`${r.name}: ${st.reason}`);
      else if (st.phase === 'starting' || st.phase === 'loading' || st.phase === 'warming') pending.push(`${r.name}: ${st.phase}`);
    }
    const started = pending.length === 0 && failed.length === 0;
    sendJson(res, started ? 200 : 503, { started, reason: [...failed, ...pending].join('; ') || undefined });
  }

  private async infer(name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const replica = this.byName.get(name);
    if (!replica) {
      req.resume();
      return sendJson(res, 404, { error: 'E_UNKNOWN_MODEL', message: `model ${name} is not served here; served: ${[...this.byName.keys()].join(', ')}` });
    }
    const respond = (code: number, body: unknown, seconds?: number): void => {
      this.metrics.recordRequest(name, code, seconds);
      sendJson(res, code, body);
    };
    if (!replica.ready) {
      req.resume();
      const st = replica.status();
      return respond(503, { error: 'E_NOT_READY', message: `model ${name} is not ready: ${st.phase}${st.reason ? ` (${st.reason})` : ''}` });
    }
    let body: unknown;
    try {
      const raw = await readBody(req, this.opts.maxBodyBytes ?? 16 * 2 ** 20);
      body = JSON.parse(raw.toString('utf8'));
    } catch (e) {
      if (e instanceof BodyTooLargeError) return respond(413, { error: e.code, message: e.message });
      return respond(400, { error: 'E_BAD_JSON', message: `request body is not JSON: ${(e as Error).message}` });
    }
    try {
      const feeds = parseFeeds((body as { inputs?: unknown } | null)?.inputs, replica.inputs, `request to model ${name}`);
      const { outputs, latencyMs } = await replica.infer(feeds);
      const encoded: Record<string, TensorJson> = {};
      for (const [k, v] of Object.entries(outputs)) encoded[k] = encodeTensor(v as Parameters<typeof encodeTensor>[0]);
      respond(200, { model: name, outputs: encoded, latencyMs }, latencyMs / 1000);
    } catch (e) {
      if (e instanceof ValidationError) return respond(400, { error: e.code, message: e.message, issues: e.issues });
      if (e instanceof OverloadedError) return respond(503, { error: e.code, message: e.message });
      return respond(500, { error: 'E_INFERENCE', message: e instanceof Error ? e.message : String(e) });
    }
  }
}
