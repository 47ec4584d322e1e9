import { Agent, request } from 'node:http';
import type * as ort from 'onnxruntime-node';
import type { Feeds } from '../session/feed-builder.js';
import { roundsUntilConverged } from '../warmup/rounds-until-converged.js';
import type { WarmTarget } from '../warmup/warm-target.js';
import type { WarmupSpec } from '../warmup/warmup-spec.js';
import { fromHalfBits } from '../session/half-float.js';
import { v2Datatype } from './v2-datatypes.js';
import { encodingSkipReason, type EncodingWarm, WARM_ENCODINGS, type WarmEncoding } from './warm-encodings.js';

/** Header a server's own warm requests carry (with its per-process token) to run before the replica is ready. */
export const WARM_REQUEST_HEADER = 'x-warmpool-warm';

export interface HttpWarmOptions {
  readonly baseUrl: string;
  readonly model: string;
  readonly targets: readonly WarmTarget[];
  /** Requests per target and encoding (default 3). */
  readonly rounds?: number;
  readonly headers?: Record<string, string>;
  /** Per request (default 60 s). */
  readonly timeoutMs?: number;
  /** The server's largest request body: an encoding whose body is larger is skipped (a client would get 413). */
  readonly maxBodyBytes?: number;
  /**
   * After the fixed rounds: requests round-robin over every (target, encoding) until each one's latency converged
   * (the spec's windowSize, tolerance, convergenceWindows; at most maxPassesPerShape rounds) or `budgetMs` ran out.
   */
  readonly converge?: {
    readonly spec: Pick<WarmupSpec, 'windowSize' | 'tolerance' | 'convergenceWindows' | 'maxPassesPerShape'>;
    readonly budgetMs: number;
  };
}

export interface HttpWarmReport {
  readonly requests: number;
  /** End-to-end latency of each request in order. */
  readonly latenciesMs: readonly number[];
  /** Per encoding, the input sets warmed and those skipped with why (FP16 in v2 JSON, a body over maxBodyBytes). */
  readonly encodings: readonly EncodingWarm[];
  /** With `converge`: whether every (target, encoding) converged, and those that did not. */
  readonly converged?: boolean;
  readonly unconverged?: readonly string[];
}

function values(t: ort.Tensor): number[] {
  if (t.type === 'float16') return Array.from(t.data as Uint16Array, fromHalfBits);
  const d = t.data as ArrayLike<number | bigint>;
  return Array.from(d, (v) => Number(v));
}

export interface WarmRequest {
  readonly path: string;
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

/** The three encodings a client may send: v1 JSON, v2 JSON, v2 binary tensor data (binary outputs too). */
export function encodeWarmRequests(model: string, feeds: Feeds): WarmRequest[] {
  return WARM_ENCODINGS.map((e) => encodeWarmRequest(model, feeds, e));
}

/** One warm request in `encoding` (see encodeWarmRequests). */
export function encodeWarmRequest(model: string, feeds: Feeds, encoding: WarmEncoding): WarmRequest {
  const m = encodeURIComponent(model);
  const json = { 'content-type': 'application/json' };
  if (encoding === 'v1-json') {
    const v1 = JSON.stringify({
      inputs: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dims: [...t.dims], data: values(t) }])),
    });
    return { path: `/v1/models/${m}/infer`, body: Buffer.from(v1), headers: json };
  }
  if (encoding === 'v2-json') {
    const v2 = JSON.stringify({
      inputs: Object.entries(feeds).map(([k, t]) => ({
        name: k,
        shape: [...t.dims],
        datatype: v2Datatype(t.type),
        data: values(t),
      })),
    });
    return { path: `/v2/models/${m}/infer`, body: Buffer.from(v2), headers: json };
  }
  const binHead = Buffer.from(
    JSON.stringify({
      inputs: Object.entries(feeds).map(([k, t]) => ({
        name: k,
        shape: [...t.dims],
        datatype: v2Datatype(t.type),
        parameters: { binary_data_size: (t.data as ArrayBufferView).byteLength },
      })),
      parameters: { binary_data_output: true },
    }),
  );
  const body = Buffer.concat([
    binHead,
    ...Object.values(feeds).map((t) => {
      const d = t.data as ArrayBufferView;
      return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    }),
  ]);
  return {
    path: `/v2/models/${m}/infer`,
    body,
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(binHead.length),
    },
  };
}

/**
 * Which (target, encoding) pairs a client could send (encodingSkipReason on each target's feeds, against
 * `maxBodyBytes`), and per encoding the targets skipped with why. Throws when a target has no encoding left, naming
 * each reason: such an input set cannot be served over HTTP at all.
 */
export function planWarmEncodings(
  model: string,
  targets: readonly WarmTarget[],
  maxBodyBytes: number | undefined,
): { items: Array<{ t: WarmTarget; encoding: WarmEncoding }>; encodings: EncodingWarm[] } {
  const items: Array<{ t: WarmTarget; encoding: WarmEncoding }> = [];
  const report = WARM_ENCODINGS.map((encoding) => ({
    encoding,
    warmed: [] as string[],
    skipped: [] as Array<{ target: string; reason: string }>,
  }));
  for (const t of targets) {
    const reasons: string[] = [];
    WARM_ENCODINGS.forEach((encoding, i) => {
      const bytes = encodeWarmRequest(model, t.feeds, encoding).body.length;
      const reason = encodingSkipReason(encoding, t.feeds, bytes, maxBodyBytes);
      if (reason === undefined) {
        items.push({ t, encoding });
        report[i]!.warmed.push(t.label);
      } else {
        report[i]!.skipped.push({ target: t.label, reason });
        reasons.push(`${encoding}: ${reason}`);
      }
    });
    if (reasons.length === WARM_ENCODINGS.length)
      throw new Error(`warm requests for ${model} input set ${t.label}: no encoding applies (${reasons.join('; ')})`);
  }
  return { items, encodings: report };
}

/**
 * Sends warm requests to a model server over HTTP (one keep-alive connection, the way a load balancer talks to it):
 * for each target, `rounds` times each encoding a client could send for it (planWarmEncodings: FP16 skips v2 JSON, a
 * body over `maxBodyBytes` skips that encoding; the report names each skip). Throws on the first answer that is not
 * 200, naming it.
 */
export async function warmHttpPath(opts: HttpWarmOptions): Promise<HttpWarmReport> {
  const { items, encodings } = planWarmEncodings(opts.model, opts.targets, opts.maxBodyBytes);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latenciesMs: number[] = [];
  const one = async (t: WarmTarget, encoding: WarmEncoding, seed: number): Promise<number> => {
    const r = encodeWarmRequest(opts.model, t.feedsFor?.(seed) ?? t.feeds, encoding);
    const t0 = performance.now();
    const answer = await send(
      agent,
      `${opts.baseUrl}${r.path}`,
      r.body,
      { ...r.headers, ...opts.headers },
      opts.timeoutMs ?? 60_000,
    );
    const ms = performance.now() - t0;
    latenciesMs.push(ms);
    if (answer.status !== 200)
      throw new Error(
        `warm request ${r.path} ${encoding} (${t.label}) answered ${answer.status}: ${answer.text.slice(0, 200)}`,
      );
    return ms;
  };
  try {
    for (let round = 0; round < (opts.rounds ?? 3); round++) {
      for (const i of items) await one(i.t, i.encoding, 31_000 + round);
    }
    if (!opts.converge) return { requests: latenciesMs.length, latenciesMs, encodings };
    const clock = { nowMs: () => performance.now() };
    const r = await roundsUntilConverged(
      items,
      (i) => `${i.t.label} ${i.encoding}`,
      (i, round) => one(i.t, i.encoding, 41_000 + round),
      opts.converge.spec,
      clock,
      opts.converge.budgetMs,
    );
    return { requests: latenciesMs.length, latenciesMs, encodings, converged: r.converged, unconverged: r.unconverged };
  } finally {
    agent.destroy();
  }
}

function send(
  agent: Agent,
  url: string,
  body: Buffer,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: res.statusCode === 200 ? '' : Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`POST ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
