import { type Agent, request } from 'node:http';
import type { Feeds } from '@warmpool/warmup';

const now = (): number => performance.now();

const V2_DATATYPES: Record<string, string> = {
  float32: 'FP32',
  float64: 'FP64',
  int64: 'INT64',
  int32: 'INT32',
  int8: 'INT8',
  uint8: 'UINT8',
  bool: 'BOOL',
};

/** A minimal infer client: the KServe v2 JSON protocol where the server has it, else the v1 JSON path. */
export class InferClient {
  private protocol: 'v1' | 'v2' = 'v1';

  constructor(
    private readonly baseUrl: string,
    private readonly model: string,
    private readonly agent: Agent,
  ) {}

  /** Picks the protocol (GET /v2/models/{name} answers 200 on a v2 server) and opens the socket. */
  async probe(): Promise<void> {
    const r = await this.send('GET', `/v2/models/${encodeURIComponent(this.model)}`, undefined);
    this.protocol = r.status === 200 ? 'v2' : 'v1';
  }

  /** One inference; resolves to its end-to-end latency in ms. */
  async infer(feeds: Feeds): Promise<number> {
    const body =
      this.protocol === 'v2'
        ? {
            inputs: Object.entries(feeds).map(([name, t]) => ({
              name,
              shape: [...t.dims],
              datatype: V2_DATATYPES[t.type] ?? t.type,
              data: values(t.data),
            })),
          }
        : {
            inputs: Object.fromEntries(
              Object.entries(feeds).map(([name, t]) => [name, { dims: [...t.dims], data: values(t.data) }]),
            ),
          };
    const path = `/${this.protocol}/models/${encodeURIComponent(this.model)}/infer`;
    const text = JSON.stringify(body);
    const t0 = now();
    const r = await this.send('POST', path, text);
    const ms = now() - t0;
    if (r.status !== 200) throw new Error(`POST ${path} answered ${r.status}: ${r.body.slice(0, 200)}`);
    return ms;
  }

  private send(method: string, path: string, body: string | undefined): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.baseUrl}${path}`,
        {
          method,
          agent: this.agent,
          headers:
            body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
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

function values(data: unknown): number[] {
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) return Array.from(data, (v) => Number(v));
  return Array.from(data as ArrayLike<number>);
}
