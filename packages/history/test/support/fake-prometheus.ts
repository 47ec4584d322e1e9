import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake saw. */
export interface SeenRequest {
  readonly path: string;
  readonly params: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
}

/** Answers one request; `undefined` leaves it hanging (a timeout). */
export type FakeAnswer = { status: number; body: string; headers?: Record<string, string> } | undefined;

/** A query_range fake on loopback: answers by a handler, remembers what it was asked. */
export class FakePrometheus {
  readonly requests: SeenRequest[] = [];
  private readonly server: Server;
  private readonly hanging = new Set<ServerResponse>();
  handler: (req: SeenRequest) => FakeAnswer = () => ({ status: 500, body: 'no handler' });

  private constructor() {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const seen: SeenRequest = { path: url.pathname, params: url.searchParams, headers: req.headers };
      this.requests.push(seen);
      const answer = this.handler(seen);
      if (answer === undefined) {
        this.hanging.add(res);
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(answer.body);
    });
  }

  static async start(): Promise<FakePrometheus> {
    const fake = new FakePrometheus();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A success answer holding one series with these [time, value] points. */
export function seriesAnswer(points: readonly (readonly [number, string])[]): FakeAnswer {
  return {
    status: 200,
    body: JSON.stringify({
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: {}, values: points }] },
    }),
  };
}

/** The evaluation times a query_range request asks for. */
export function evalTimes(req: SeenRequest): number[] {
  const start = Number(req.params.get('start'));
  const end = Number(req.params.get('end'));
  const step = Number(req.params.get('step'));
  const out: number[] = [];
  for (let t = start; t <= end + 1e-9; t += step) out.push(t);
  return out;
}
