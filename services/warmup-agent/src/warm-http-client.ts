import { type Agent, request } from 'node:http';
import {
  encodeWarmRequest,
  encodingSkipReason,
  type Feeds,
  type WarmEncoding,
  type WarmRequest,
} from '@warmpool/warmup';

const now = (): number => performance.now();

/**
 * A minimal infer client: per input set, the first encoding a client could send of KServe v2 JSON, v1 JSON and v2
 * binary tensor data (encodingSkipReason: FP16 has no v2 JSON form, a body over `maxBodyBytes` would get 413); v1
 * JSON only where the server has no v2 protocol.
 */
export class InferClient {
  private protocol: 'v1' | 'v2' = 'v1';
  /** The encoding picked per input signature (types and dims), and what the last request used. */
  private readonly picked = new Map<string, WarmEncoding>();
  lastEncoding: WarmEncoding | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly model: string,
    private readonly agent: Agent,
    private readonly maxBodyBytes?: number,
  ) {}

  /** Picks the protocol (GET /v2/models/{name} answers 200 on a v2 server) and opens the socket. */
  async probe(): Promise<void> {
    const r = await this.send('GET', `/v2/models/${encodeURIComponent(this.model)}`, undefined, {});
    this.protocol = r.status === 200 ? 'v2' : 'v1';
  }

  /** One inference; resolves to its end-to-end latency in ms. */
  async infer(feeds: Feeds): Promise<number> {
    const req = this.encode(feeds);
    const t0 = now();
    const r = await this.send('POST', req.path, req.body, req.headers);
    const ms = now() - t0;
    if (r.status !== 200)
      throw new Error(`POST ${req.path} ${this.lastEncoding} answered ${r.status}: ${r.body.slice(0, 200)}`);
    return ms;
  }

  private encode(feeds: Feeds): WarmRequest {
    const key = Object.entries(feeds)
      .map(([k, t]) => `${k}:${t.type}:${t.dims.join('x')}`)
      .join(',');
    const known = this.picked.get(key);
    if (known !== undefined) {
      this.lastEncoding = known;
      return encodeWarmRequest(this.model, feeds, known);
    }
    const order: readonly WarmEncoding[] = this.protocol === 'v2' ? ['v2-json', 'v1-json', 'v2-binary'] : ['v1-json'];
    const reasons: string[] = [];
    for (const e of order) {
      const req = encodeWarmRequest(this.model, feeds, e);
      const why = encodingSkipReason(e, feeds, req.body.length, this.maxBodyBytes);
      if (why === undefined) {
        this.picked.set(key, e);
        this.lastEncoding = e;
        return req;
      }
      reasons.push(`${e}: ${why}`);
    }
    throw new Error(`no encoding a client could send for inputs ${key} (${reasons.join('; ')})`);
  }

  private send(
    method: string,
    path: string,
    body: Buffer | undefined,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.baseUrl}${path}`,
        {
          method,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) },
          timeout: 60_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 60 s`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}
