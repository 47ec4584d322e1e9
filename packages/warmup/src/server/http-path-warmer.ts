import { Agent, request } from 'node:http';
import type * as ort from 'onnxruntime-node';
import type { Feeds } from '../session/feed-builder.js';
import { roundsUntilConverged } from '../warmup/rounds-until-converged.js';
import type { WarmTarget } from '../warmup/warm-target.js';
import type { WarmupSpec } from '../warmup/warmup-spec.js';
import { v2Datatype } from './v2-datatypes.js';

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
  /** With `converge`: whether every (target, encoding) converged, and those that did not. */
  readonly converged?: boolean;
  readonly unconverged?: readonly string[];
}

function values(t: ort.Tensor): number[] {
  const d = t.data as ArrayLike<number | bigint>;
  return Array.from(d, (v) => Number(v));
}

/** The three encodings a client may send: v1 JSON, v2 JSON, v2 binary tensor data (binary outputs too). */
export function encodeWarmRequests(
  model: string,
  feeds: Feeds,
): Array<{ path: string; body: Buffer; headers: Record<string, string> }> {
  const m = encodeURIComponent(model);
  const v1 = JSON.stringify({
    inputs: Object.fromEntries(Object.entries(feeds).map(([k, t]) => [k, { dims: [...t.dims], data: values(t) }])),
  });
  const v2 = JSON.stringify({
    inputs: Object.entries(feeds).map(([k, t]) => ({
      name: k,
      shape: [...t.dims],
      datatype: v2Datatype(t.type),
      data: values(t),
    })),
  });
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
  const bin = Buffer.concat([
    binHead,
    ...Object.values(feeds).map((t) => {
      const d = t.data as ArrayBufferView;
      return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
    }),
  ]);
  const json = { 'content-type': 'application/json' };
  return [
    { path: `/v1/models/${m}/infer`, body: Buffer.from(v1), headers: json },
    { path: `/v2/models/${m}/infer`, body: Buffer.from(v2), headers: json },
    {
      path: `/v2/models/${m}/infer`,
      body: bin,
      headers: {
        'content-type': 'application/octet-stream',
        'inference-header-content-length': String(binHead.length),
      },
    },
  ];
}

/**
 * Sends warm requests to a model server over HTTP (one keep-alive connection, the way a load balancer talks to it):
 * for each target, `rounds` times each encoding. Throws on the first answer that is not 200, naming it.
 */
export async function warmHttpPath(opts: HttpWarmOptions): Promise<HttpWarmReport> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const latenciesMs: number[] = [];
  const one = async (t: WarmTarget, encoding: number, seed: number): Promise<number> => {
    const r = encodeWarmRequests(opts.model, t.feedsFor?.(seed) ?? t.feeds)[encoding]!;
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
      throw new Error(`warm request ${r.path} (${t.label}) answered ${answer.status}: ${answer.text.slice(0, 200)}`);
    return ms;
  };
  try {
    for (let round = 0; round < (opts.rounds ?? 3); round++) {
      for (const t of opts.targets) for (let e = 0; e < ENCODINGS.length; e++) await one(t, e, 31_000 + round);
    }
    if (!opts.converge) return { requests: latenciesMs.length, latenciesMs };
    const items = opts.targets.flatMap((t) => ENCODINGS.map((name, e) => ({ t, e, label: `${t.label} ${name}` })));
    const clock = { nowMs: () => performance.now() };
    const r = await roundsUntilConverged(
      items,
      (i) => i.label,
      (i, round) => one(i.t, i.e, 41_000 + round),
      opts.converge.spec,
      clock,
      opts.converge.budgetMs,
    );
    return { requests: latenciesMs.length, latenciesMs, converged: r.converged, unconverged: r.unconverged };
  } finally {
    agent.destroy();
  }
}

/** The encodings of encodeWarmRequests, in its order. */
const ENCODINGS = ['v1-json', 'v2-json', 'v2-binary'] as const;

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
