import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '@warmpool/domain';
import { parseTraceCsv } from '../src/trace-csv.js';
import { TraceLoadGenerator } from '../src/trace-load-generator.js';

interface Seen {
  readonly path: string;
  readonly dims: number[];
  readonly ids: number[];
}

/** A loopback HTTP endpoint standing in for the load balancer: answers after `delayMs`, names a replica, tracks concurrency. */
class Endpoint {
  readonly seen: Seen[] = [];
  inFlight = 0;
  maxInFlight = 0;
  /** 'reused': reset a request that arrives on a connection which already carried one (keep-alive closed at the wrong moment); 'all': reset every request. */
  reset: 'none' | 'reused' | 'all' = 'none';
  resets = 0;
  private readonly requestsBySocket = new WeakMap<object, number>();
  private readonly server: Server;
  private readonly open = new Set<ServerResponse>();
  url = '';

  constructor(private readonly answer: (n: number) => { status: number; delayMs: number }) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const onSocket = (this.requestsBySocket.get(req.socket) ?? 0) + 1;
    this.requestsBySocket.set(req.socket, onSocket);
    if (this.reset === 'all' || (this.reset === 'reused' && onSocket > 1)) {
      this.resets++;
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      inputs: { input_ids: { dims: number[]; data: number[] } };
    };
    const n = this.seen.length;
    this.seen.push({ path: req.url ?? '', dims: body.inputs.input_ids.dims, ids: body.inputs.input_ids.data });
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.open.add(res);
    const { status, delayMs } = this.answer(n);
    const finish = (): void => {
      this.inFlight--;
      this.open.delete(res);
    };
    res.on('close', finish);
    setTimeout(() => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json', 'x-warmpool-replica': `replica-${n % 2}` });
      res.end('{}');
    }, delayMs).unref();
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let endpoint: Endpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

const trace = parseTraceCsv('t,count\n0,10\n1,10\n', 'two-bins.csv');

describe('TraceLoadGenerator', () => {
  it('sends the planned requests with the drawn shapes and records status, latency and replica', async () => {
    endpoint = new Endpoint(() => ({ status: 200, delayMs: 2 }));
    const url = await endpoint.listen();
    const gen = new TraceLoadGenerator(
      {
        targetUrl: url,
        model: 'tiny-transformer',
        trace,
        speedX: 4,
        arrival: 'uniform',
        seed: 42,
        shapes: [
          { batch: 1, seq: 4 },
          { batch: 2, seq: 8 },
        ],
        tokenIdMax: 50,
      },
      { latencyTargetMs: 10_000 },
    );
    expect(gen.arrivals).toHaveLength(20);
    const result = await gen.run();
    expect(result.stoppedBy).toBe('completed');
    expect(result.records).toHaveLength(20);
    expect(result.notSent).toBe(0);
    expect(endpoint.seen).toHaveLength(20);
    for (const s of endpoint.seen) {
      expect(s.path).toBe('/v1/models/tiny-transformer/infer');
      expect([
        [1, 4],
        [2, 8],
      ]).toContainEqual(s.dims);
      expect(s.ids).toHaveLength(s.dims[0]! * s.dims[1]!);
      for (const id of s.ids) expect(id >= 1 && id < 50).toBe(true);
    }
    for (const r of result.records) {
      expect(r.status).toBe(200);
      expect(r.replicaId).toMatch(/^replica-[01]$/);
      expect(r.latencyMs).toBeGreaterThan(0);
      expect(r.sentAtMs).toBeGreaterThanOrEqual(r.scheduledAtMs - 5);
    }
    expect(result.records.map((r) => r.shape).sort()).toEqual(
      gen.arrivals.map((a) => (a.shape === 0 ? '1x4' : '2x8')).sort(),
    );
    expect(result.summary).toMatchObject({ requests: 20, ok: 20, errors: 0, slaViolations: 0, spikeWindows: 0 });
    // 2 trace seconds at speed 4: the arrivals span at most 500 ms of wall time
    expect(Math.max(...gen.arrivals.map((a) => a.atMs))).toBeLessThan(500);
  });

  it('keeps at most maxConcurrency requests in flight and records the queueing', async () => {
    endpoint = new Endpoint(() => ({ status: 200, delayMs: 30 }));
    const url = await endpoint.listen();
    const burst = parseTraceCsv('t,count\n0,12\n', 'burst.csv');
    const result = await new TraceLoadGenerator({
      targetUrl: url,
      model: 'm',
      trace: burst,
      speedX: 100,
      arrival: 'uniform',
      maxConcurrency: 3,
    }).run();
    expect(result.records).toHaveLength(12);
    expect(endpoint.maxInFlight).toBeLessThanOrEqual(3);
    expect(endpoint.maxInFlight).toBe(3);
    expect(result.summary.maxQueueWaitMs).toBeGreaterThan(0);
  });

  it('records errors and stops by itself at the time limit, aborting what is in flight', async () => {
    endpoint = new Endpoint((n) => (n === 0 ? { status: 503, delayMs: 0 } : { status: 200, delayMs: 60_000 }));
    const url = await endpoint.listen();
    const long = parseTraceCsv(`t,count\n${Array.from({ length: 100 }, (_, i) => `${i},5`).join('\n')}\n`, 'long.csv');
    const gen = new TraceLoadGenerator({
      targetUrl: url,
      model: 'm',
      trace: long,
      speedX: 10,
      arrival: 'uniform',
      timeLimitMs: 300,
      maxConcurrency: 4,
    });
    const result = await gen.run();
    expect(result.stoppedBy).toBe('time-limit');
    expect(result.notSent).toBeGreaterThan(400);
    expect(result.records.length).toBeGreaterThan(0);
    expect(result.records[0]!.status).toBe(503);
    expect(result.records.filter((r) => r.error === 'aborted').length).toBeGreaterThan(0);
    expect(result.summary.errors).toBe(result.records.length);
    await expect(gen.run()).rejects.toMatchObject({ code: 'E_ALREADY_RUN' });
  });

  it('sends a request again once on a fresh connection when the server reset the reused keep-alive one', async () => {
    endpoint = new Endpoint(() => ({ status: 200, delayMs: 1 }));
    const url = await endpoint.listen();
    endpoint.reset = 'reused';
    const spaced = parseTraceCsv('t,count\n0,8\n', 'spaced.csv');
    const result = await new TraceLoadGenerator({
      targetUrl: url,
      model: 'm',
      trace: spaced,
      speedX: 2,
      arrival: 'uniform',
      maxConcurrency: 1,
    }).run();
    expect(endpoint.resets).toBeGreaterThan(0);
    expect(result.records.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(result.summary.errors).toBe(0);
    // a server that resets fresh connections too: the error is recorded, not retried again
    endpoint.reset = 'all';
    const failing = await new TraceLoadGenerator({
      targetUrl: url,
      model: 'm',
      trace: parseTraceCsv('t,count\n0,3\n', 'three.csv'),
      speedX: 2,
      arrival: 'uniform',
      maxConcurrency: 1,
    }).run();
    expect(failing.records.map((r) => r.error)).toEqual(['ECONNRESET', 'ECONNRESET', 'ECONNRESET']);
  });

  it('stops after maxRequests and on stop()', async () => {
    endpoint = new Endpoint(() => ({ status: 200, delayMs: 1 }));
    const url = await endpoint.listen();
    const capped = await new TraceLoadGenerator({
      targetUrl: url,
      model: 'm',
      trace,
      speedX: 20,
      maxRequests: 5,
    }).run();
    expect(capped.records).toHaveLength(5);
    const long = parseTraceCsv(`t,count\n${Array.from({ length: 100 }, (_, i) => `${i},1`).join('\n')}\n`, 'long.csv');
    const gen = new TraceLoadGenerator({ targetUrl: url, model: 'm', trace: long, speedX: 1, arrival: 'uniform' });
    const running = gen.run();
    setTimeout(() => gen.stop(), 50);
    const stopped = await running;
    expect(stopped.stoppedBy).toBe('stopped');
    expect(stopped.notSent).toBeGreaterThan(90);
  });

  it('refuses non-loopback targets and bad options, naming every key', () => {
    let err: unknown;
    try {
      new TraceLoadGenerator({
        targetUrl: 'http://10.0.0.1:8080',
        model: 'M!',
        trace,
        speedX: 0,
        maxConcurrency: 0,
        arrival: 'burst' as never,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual([
      'arrival',
      'maxConcurrency',
      'model',
      'speedX',
      'targetUrl',
    ]);
    expect((err as ValidationError).message).toMatch(/loopback/);
  });
});
