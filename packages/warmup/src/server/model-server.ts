import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type * as ort from 'onnxruntime-node';
import { ValidationError } from '@warmpool/domain';
import { BodyTooLargeError, closeHttp, listenHttp, sendJson, sendText } from '@warmpool/telemetry';
import { InferenceRequestError } from '../errors/inference-request-error.js';
import { OverloadedError } from '../errors/overloaded-error.js';
import type { ModelReplica } from '../replica/model-replica.js';
import type { Feeds } from '../session/feed-builder.js';
import { parseFeeds } from '../session/tensor-json.js';
import type { WarmTarget } from '../warmup/warm-target.js';
import { warmHttpPath, WARM_REQUEST_HEADER, type HttpWarmOptions, type HttpWarmReport } from './http-path-warmer.js';
import { nestedDeeperThan, summarizeValidation } from './issue-summary.js';
import { ReplicaMetrics } from './replica-metrics.js';
import { BodyBudget } from './body-budget.js';
import { checkDeclaredSizes, checkJsonBytes } from './declared-size.js';
import { BodyTimeoutError, readBoundedBody } from './request-body.js';
import { writeV1Answer, writeV2Answer } from './v2-response.js';
import { parseV2InferRequest } from './v2-request.js';
import { v2Datatype } from './v2-datatypes.js';

export interface ModelServerOptions {
  readonly replicas: readonly ModelReplica[];
  /** Loopback by default. */
  readonly host?: string;
  /** 0: an ephemeral port. */
  readonly port?: number;
  /** Largest request body (default 16 MiB); beyond it 413 and the connection is closed. */
  readonly maxBodyBytes?: number;
  /**
   * Request body bytes all requests being read may hold together (default 4 x maxBodyBytes); past it 503
   * `E_OVERLOADED` with `Retry-After` and the connection closed: many large bodies at once cannot grow the process.
   */
  readonly maxBufferedBodyBytes?: number;
  /** Largest answer, counted as raw tensor bytes (default 16 MiB); beyond it 400 `E_OUTPUT_TOO_LARGE`. */
  readonly maxOutputBytes?: number;
  /**
   * Deadline of one inference request from its arrival (default 30 000 ms); past it 504 `E_DEADLINE`, or 408
   * `E_BODY_TIMEOUT` (connection closed) when its body has not even arrived by then.
   */
  readonly requestTimeoutMs?: number;
  /**
   * The replica id this server answers for: its health answers carry it (header REPLICA_ID_HEADER and `replicaId`
   * in the JSON), so a load balancer can tell this replica from another one that later took the same port.
   */
  readonly replicaId?: string;
}

/** Header of every health answer naming the replica id the server answers for (when it was given one). */
export const REPLICA_ID_HEADER = 'x-warmpool-replica-id';

export const DEFAULT_MAX_BODY_BYTES = 16 * 2 ** 20;
export const DEFAULT_MAX_OUTPUT_BYTES = 16 * 2 ** 20;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

const V1_INFER = /^\/v1\/models\/([^/]+)\/infer$/;
const V2_MODEL = /^\/v2\/models\/([^/]+)(?:\/versions\/([^/]+))?(\/ready|\/infer)?$/;
const MAX_NAME_IN_MESSAGE = 100;
/** Deepest JSON nesting a request may have (a rank-16 tensor nested row by row is 19 deep). */
const MAX_JSON_DEPTH = 32;

type Protocol = 'v1' | 'v2';

function shortName(name: string): string {
  return name.length > MAX_NAME_IN_MESSAGE ? `${name.slice(0, MAX_NAME_IN_MESSAGE)}…` : name;
}

/** Raw bytes of a tensor's data. */
function dataBytes(t: ort.Tensor): number {
  const d = t.data as unknown;
  return ArrayBuffer.isView(d) ? d.byteLength : (d as unknown[]).length * 8;
}

/**
 * The replica's HTTP face (node:http), speaking the KServe Open Inference Protocol v2 (REST) and the older v1 JSON
 * path the load balancer routes:
 * - `GET /v2/health/live` (= `/livez`), `GET /v2/health/ready` (= `/readyz`: 200 once every model is ready, else 503
 *   with `{ ready: false, reason }`), `GET /startupz`, `GET /metrics` (Prometheus text). Health never waits behind
 *   inference: sessions run in worker threads and big answers are serialized a chunk at a time.
 * - `GET /v2` (server metadata), `GET /v2/models/{name}[/versions/{v}]` (inputs and outputs with name, datatype,
 *   shape; -1 for a dynamic size), `GET /v2/models/{name}/ready`.
 * - `POST /v2/models/{name}[/versions/{v}]/infer`: JSON tensors or the binary tensor data extension
 *   (`Inference-Header-Content-Length`, `binary_data_size`, binary outputs on request), `id` echoed, `outputs`
 *   selection. `POST /v1/models/{name}/infer`: `{ inputs: { name: { dims, data } } }`.
 * Errors: 400 with a short message naming the input (never echoing tensor data), 404 unknown model, 413 body over the
 * limit (the connection is closed, so keep-alive never hangs), 503 not ready or busy, 504 past the request deadline.
 */
export class ModelServer {
  private readonly server: Server;
  private readonly byName: Map<string, ModelReplica>;
  readonly metrics: ReplicaMetrics;
  /** Requests carrying this value in WARM_REQUEST_HEADER run while the replica warms (not counted in metrics). */
  private readonly warmToken = randomBytes(16).toString('hex');
  private baseUrl = '';
  private readonly bodies: BodyBudget;
  /** The replica id as a header value (visible ASCII only; else the JSON field alone carries it). */
  private readonly replicaIdHeader: string | undefined;

  constructor(private readonly opts: ModelServerOptions) {
    this.replicaIdHeader =
      opts.replicaId !== undefined && /^[\x21-\x7e]{1,256}$/.test(opts.replicaId) ? opts.replicaId : undefined;
    this.byName = new Map(opts.replicas.map((r) => [r.name, r]));
    this.bodies = new BodyBudget(opts.maxBufferedBodyBytes ?? 4 * (opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES));
    this.metrics = new ReplicaMetrics({
      replicas: () => [...this.byName.values()],
      bufferedBodyBytes: () => this.bodies.heldBytes,
    });
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        if (!res.headersSent)
          sendJson(res, 500, {
            error: 'E_INTERNAL',
            message: e instanceof Error ? e.message.split('\n')[0]!.slice(0, 300) : 'internal error',
          });
        else res.destroy();
      });
    });
  }

  async listen(): Promise<{ url: string; port: number }> {
    const a = await listenHttp(this.server, this.opts.port ?? 0, this.opts.host ?? '127.0.0.1');
    this.baseUrl = a.url.replace('://0.0.0.0:', '://127.0.0.1:').replace('://[::]:', '://[::1]:');
    return a;
  }

  /** Stops accepting connections and waits for open requests to finish. */
  async close(): Promise<void> {
    await closeHttp(this.server);
  }

  /**
   * Sends warm requests through this server's own HTTP endpoint to `model` (v1 and v2 JSON, v2 binary) for each
   * target, before the replica reports ready: request parsing, tensor conversion, serialization and the socket path
   * are warm too; with `converge`, then until each (target, encoding)'s latency converged within its budget. Needs
   * `listen()` first.
   */
  async warmRequestPath(
    model: string,
    targets: readonly WarmTarget[],
    rounds = 3,
    converge?: HttpWarmOptions['converge'],
  ): Promise<HttpWarmReport> {
    if (!this.baseUrl) throw new Error('warmRequestPath needs a listening server');
    return warmHttpPath({
      baseUrl: this.baseUrl,
      model,
      targets,
      rounds,
      converge,
      maxBodyBytes: this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      headers: { [WARM_REQUEST_HEADER]: this.warmToken },
    });
  }

  readiness(): { ready: boolean; reason: string | undefined; models: Record<string, unknown> } {
    const models: Record<string, unknown> = {};
    const notReady: string[] = [];
    for (const r of this.byName.values()) {
      const st = r.status();
      models[r.name] = {
        phase: st.phase,
        reason: st.reason,
        executionProvider: st.load?.executionProvider,
        converged: st.warmup?.converged,
      };
      if (!r.ready) notReady.push(`${r.name}: ${st.phase}${st.reason ? ` (${st.reason})` : ''}`);
    }
    return { ready: notReady.length === 0, reason: notReady.length ? notReady.join('; ') : undefined, models };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!;
    const method = req.method ?? 'GET';
    if (method === 'GET' || method === 'HEAD') {
      if (
        this.replicaIdHeader !== undefined &&
        (path.startsWith('/v2/health/') || path === '/livez' || path === '/readyz')
      )
        res.setHeader(REPLICA_ID_HEADER, this.replicaIdHeader);
      if (path === '/livez' || path === '/v2/health/live') return sendJson(res, 200, { live: true });
      if (path === '/readyz' || path === '/v2/health/ready') {
        const r = this.readiness();
        return sendJson(
          res,
          r.ready ? 200 : 503,
          this.opts.replicaId === undefined ? r : { ...r, replicaId: this.opts.replicaId },
        );
      }
      if (path === '/startupz') return this.startup(res);
      if (path === '/metrics') return sendText(res, 200, this.metrics.contentType, await this.metrics.render());
      if (path === '/v2')
        return sendJson(res, 200, { name: 'warmpool', version: '1', extensions: ['binary_tensor_data'] });
    }
    const v1 = V1_INFER.exec(path);
    const v2 = v1 ? null : V2_MODEL.exec(path);
    if (!v1 && !v2) {
      req.resume();
      return sendJson(res, 404, { error: 'E_NOT_FOUND', message: `no route ${method} ${shortName(path)}` });
    }
    const protocol: Protocol = v1 ? 'v1' : 'v2';
    let name: string;
    try {
      name = decodeURIComponent((v1 ?? v2)![1]!);
    } catch {
      req.resume();
      return this.error(
        res,
        protocol,
        400,
        'E_BAD_PATH',
        `model name ${shortName((v1 ?? v2)![1]!)} in the path is not valid percent-encoding`,
      );
    }
    const replica = this.byName.get(name);
    if (!replica) {
      req.resume();
      return this.error(
        res,
        protocol,
        404,
        'E_UNKNOWN_MODEL',
        `model ${shortName(name)} is not served here; served: ${[...this.byName.keys()].join(', ')}`,
      );
    }
    const action = v1 ? '/infer' : v2![3];
    if (action !== '/infer') {
      req.resume();
      if (method !== 'GET' && method !== 'HEAD')
        return this.error(res, protocol, 405, 'E_METHOD', `${method} ${shortName(path)}: use GET`);
      return action === '/ready' ? this.modelReady(res, replica) : this.modelMetadata(res, replica);
    }
    if (method !== 'POST') {
      req.resume();
      return this.error(res, protocol, 405, 'E_METHOD', `${method} ${shortName(path)}: use POST`);
    }
    return this.infer(protocol, replica, req, res);
  }

  private error(
    res: ServerResponse,
    protocol: Protocol,
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
  ): void {
    // v2 clients read `error` as the message; v1 clients read `error` as the code.
    sendJson(res, status, protocol === 'v2' ? { error: message, code, ...extra } : { error: code, message, ...extra });
  }

  private startup(res: ServerResponse): void {
    const pending: string[] = [];
    const failed: string[] = [];
    for (const r of this.byName.values()) {
      const st = r.status();
      if (st.phase === 'failed') failed.push(`${r.name}: ${st.reason}`);
      else if (st.phase === 'starting' || st.phase === 'loading' || st.phase === 'warming')
        pending.push(`${r.name}: ${st.phase}`);
    }
    const started = pending.length === 0 && failed.length === 0;
    sendJson(res, started ? 200 : 503, { started, reason: [...failed, ...pending].join('; ') || undefined });
  }

  private modelReady(res: ServerResponse, replica: ModelReplica): void {
    const st = replica.status();
    sendJson(res, replica.ready ? 200 : 503, {
      name: replica.name,
      ready: replica.ready,
      ...(replica.ready ? {} : { reason: `${st.phase}${st.reason ? ` (${st.reason})` : ''}` }),
    });
  }

  private modelMetadata(res: ServerResponse, replica: ModelReplica): void {
    const st = replica.status();
    if (!st.load) {
      sendJson(res, 503, { error: `model ${replica.name} is not loaded yet: ${st.phase}`, code: 'E_NOT_READY' });
      return;
    }
    const shape = (dims: ReadonlyArray<number | string>) => dims.map((d) => (typeof d === 'number' && d > 0 ? d : -1));
    sendJson(res, 200, {
      name: replica.name,
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: replica.inputs.map((i) => ({ name: i.name, datatype: v2Datatype(i.type), shape: shape(i.dims) })),
      outputs: replica.outputs.map((o) => ({ name: o.name, datatype: v2Datatype(o.type), shape: shape(o.dims) })),
      parameters: {
        execution_provider: st.load.executionProvider,
        ...(replica.inputLimits ? { max_input_elements: replica.inputLimits } : {}),
      },
    });
  }

  private async infer(
    protocol: Protocol,
    replica: ModelReplica,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const arrivedMs = replica.clock.nowMs();
    const name = replica.name;
    const warm = req.headers[WARM_REQUEST_HEADER] === this.warmToken;
    const respondError = (status: number, code: string, message: string, extra: Record<string, unknown> = {}): void => {
      if (!warm) this.metrics.recordRequest(name, status, undefined);
      this.error(res, protocol, status, code, message, extra);
    };
    const loadedForWarm =
      warm && replica.status().load !== undefined && (replica.status().phase === 'warming' || replica.ready);
    if (!replica.ready && !loadedForWarm) {
      req.resume();
      const st = replica.status();
      return respondError(
        503,
        'E_NOT_READY',
        `model ${name} is not ready: ${st.phase}${st.reason ? ` (${st.reason})` : ''}`,
      );
    }
    let raw: Buffer;
    try {
      raw = await readBoundedBody(
        req,
        this.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
        this.bodies,
        this.opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      );
    } catch (e) {
      if (e instanceof BodyTimeoutError) {
        // The rest of the body is never read: the connection ends with the answer.
        res.setHeader('connection', 'close');
        res.once('finish', () => req.destroy());
        return respondError(408, e.code, `${e.message}; the request deadline counts from its arrival`);
      }
      if (e instanceof InferenceRequestError && e.code === 'E_OVERLOADED') {
        res.setHeader('connection', 'close');
        res.setHeader('retry-after', '1');
        return respondError(503, e.code, e.message);
      }
      if (e instanceof BodyTooLargeError) {
        res.setHeader('connection', 'close');
        return respondError(
          413,
          e.code,
          `${e.message}; send binary tensor data, smaller inputs, or raise --max-body-bytes`,
        );
      }
      throw e;
    }
    let request: {
      id: string | undefined;
      feeds: Feeds;
      outputs: ReadonlyArray<{ name: string; binary: boolean }> | undefined;
      binaryByDefault: boolean;
    };
    try {
      request = this.parse(protocol, replica, req, raw);
    } catch (e) {
      if (e instanceof ValidationError) {
        const safe = summarizeValidation(e);
        return respondError(400, safe.code, safe.message, { issues: safe.issues });
      }
      if (e instanceof InferenceRequestError) return respondError(e.status, e.code, e.message);
      throw e;
    }
    let result: { outputs: ort.InferenceSession.OnnxValueMapType; latencyMs: number };
    try {
      result = await replica.infer(request.feeds, {
        outputs: request.outputs?.map((o) => o.name),
        deadlineMs: arrivedMs + (this.opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS),
        warm,
      });
    } catch (e) {
      if (e instanceof InferenceRequestError) {
        const inputs = Object.entries(request.feeds)
          .map(([k, t]) => `${k} [${t.dims.join(', ')}] ${t.type}`)
          .join(', ');
        const message =
          e.code === 'E_INFERENCE_INPUT'
            ? `model ${name} cannot run these inputs (${inputs}): ${e.message}`
            : e.message;
        return respondError(e.status, e.code, message);
      }
      if (e instanceof OverloadedError) return respondError(503, e.code, e.message);
      throw e;
    }
    const outputs = Object.entries(result.outputs) as Array<[string, ort.Tensor]>;
    const bytes = outputs.reduce((a, [, t]) => a + dataBytes(t), 0);
    const maxOut = this.opts.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    if (bytes > maxOut) {
      const sizes = outputs.map(([k, t]) => `${k} [${t.dims.join(', ')}]`).join(', ');
      return respondError(
        400,
        'E_OUTPUT_TOO_LARGE',
        `model ${name}: the answer (${sizes}) would be ${bytes} bytes, over the ${maxOut}-byte output limit; send smaller inputs or select outputs`,
      );
    }
    if (!warm) this.metrics.recordRequest(name, 200, result.latencyMs / 1000);
    if (protocol === 'v1') return writeV1Answer(res, name, outputs, result.latencyMs);
    return writeV2Answer(res, name, request, outputs);
  }

  private parse(
    protocol: Protocol,
    replica: ModelReplica,
    req: IncomingMessage,
    raw: Buffer,
  ): {
    id: string | undefined;
    feeds: Feeds;
    outputs: ReadonlyArray<{ name: string; binary: boolean }> | undefined;
    binaryByDefault: boolean;
  } {
    const headerLength = req.headers['inference-header-content-length'];
    let jsonPart = raw;
    let binary: Buffer | undefined;
    if (headerLength !== undefined) {
      const n = Number(headerLength);
      if (protocol !== 'v2' || !Number.isSafeInteger(n) || n < 0 || n > raw.length) {
        throw new InferenceRequestError(
          'E_BAD_REQUEST',
          `Inference-Header-Content-Length ${String(headerLength).slice(0, 20)}: ${protocol === 'v2' ? `a byte count of at most the body's ${raw.length}` : 'only on /v2 infer'}`,
        );
      }
      jsonPart = raw.subarray(0, n);
      binary = raw.subarray(n);
    }
    checkJsonBytes(jsonPart.length, protocol, replica);
    let body: unknown;
    try {
      body = JSON.parse(jsonPart.toString('utf8'));
    } catch (e) {
      // V8's message quotes the text around the error (`"...data":[NaN,1,"..."`): tensor data, never echoed.
      const why = (e as Error).message.replace(/, (?:\.\.\.)?"[\s\S]* is not valid JSON$/, '').slice(0, 200);
      throw new InferenceRequestError('E_BAD_JSON', `request body is not JSON: ${why}`);
    }
    if (nestedDeeperThan(body, MAX_JSON_DEPTH))
      throw new InferenceRequestError('E_BAD_JSON', `request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
    checkDeclaredSizes(protocol, body, replica.name, replica.inputLimits);
    if (protocol === 'v2')
      return parseV2InferRequest(body, binary, {
        name: replica.name,
        inputs: replica.inputs,
        outputNames: replica.outputNames,
      });
    const feeds = parseFeeds(
      (body as { inputs?: unknown } | null)?.inputs,
      replica.inputs,
      `request to model ${replica.name}`,
    );
    return { id: undefined, feeds, outputs: undefined, binaryByDefault: false };
  }
}
