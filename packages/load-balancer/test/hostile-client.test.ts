// Hostile clients and replicas against the load balancer (assignment H11, beyond issue 16's nine findings). Each
// test failed on the code before its fix: a declared Content-Length was reserved from the shared body budget up front
// (four stalled connections declaring 16 MiB shut every client out), a trickled body was read for Node's 300 s
// request timeout, a malformed request target was a 500, the readiness probe followed redirects and read a replica's
// whole /readyz answer, and a replica trickling its answer held the client and the in-flight slot forever. Loopback only; every wait bounded by an event or a deadline.
import { createServer, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadBalancerServer } from '../src/load-balancer-server.js';
import { FakeReplica, waitFor } from './fake-replica.js';

const TOKEN = 'hostile-secret';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function lb(opts: Partial<ConstructorParameters<typeof LoadBalancerServer>[0]> = {}) {
  const server = new LoadBalancerServer({
    token: TOKEN,
    pool: { slowStartMs: 0 },
    health: { intervalMs: 3_600_000, timeoutMs: 10_000, failureThreshold: 3 },
    ...opts,
  });
  const { url, port } = await server.listen();
  cleanups.push(() => server.close());
  return { server, url, port };
}

async function replica(id: string) {
  const r = await new FakeReplica(id).start();
  cleanups.push(() => r.stop());
  return r;
}

const register = (lbUrl: string, body: Record<string, unknown>) =>
  fetch(`${lbUrl}/replicas`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** A raw connection that sent `head` (and maybe part of a body); resolves with all it got once the LB closes it. */
function rawRequest(port: number, head: string): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  cleanups.push(() => void socket.destroy());
  let got = '';
  socket.on('data', (d: Buffer) => {
    got += d.toString('latin1');
  });
  const answer = new Promise<string>((resolve) => socket.once('close', () => resolve(got)));
  socket.write(head);
  return { socket, answer };
}

async function inFlight(server: LoadBalancerServer): Promise<number> {
  const line = (await server.metrics.render()).split('\n').find((l) => l.startsWith('warmpool_lb_in_flight_requests '));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

/** Polls `cond` every 10 ms, at most 10 s. */
async function until(cond: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('condition not met within 10 s');
}

/** A replica-like server whose readiness answer (and, with `serve`, every other answer) the test writes. */
async function rawReplica(
  ready: (res: ServerResponse) => void,
  serve: (res: ServerResponse) => void = (res) => void res.writeHead(404).end(),
): Promise<string> {
  const s: Server = createServer((req, res) => {
    if (req.url === '/v2/health/ready' || req.url === '/readyz') return ready(res);
    req.resume();
    serve(res);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      }),
  );
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('hostile clients of the load balancer', { timeout: 60_000 }, () => {
  it('stalled bodies that declare a large Content-Length take neither the body budget nor the in-flight slots', async () => {
    const { server, url, port } = await lb({ models: ['m'], maxBufferedBytes: 1_000_000, maxInFlight: 2 });
    const a = await replica('a');
    expect((await register(url, { replicaId: 'a', model: 'm', url: a.url })).status).toBe(201);
    // Four connections each declare 900 kB (under maxBodyBytes) and send one byte, then stall.
    for (let i = 0; i < 4; i++)
      rawRequest(port, 'POST /v1/models/m/infer HTTP/1.1\r\nHost: lb\r\nContent-Length: 900000\r\n\r\n{');
    await waitFor(() => server.budget.usedBytes === 4, 10_000); // the bytes that arrived, not the bytes declared
    const res = await fetch(`${url}/v1/models/m/infer`, { method: 'POST', body: '{"inputs":{}}' });
    expect(res.status).toBe(200);
    await res.text();
  });

  it('a body trickled past bodyTimeoutMs is answered 408 naming the deadline, the connection closed, nothing held', async () => {
    const { server, url, port } = await lb({ models: ['m'], bodyTimeoutMs: 300 });
    const a = await replica('a');
    expect((await register(url, { replicaId: 'a', model: 'm', url: a.url })).status).toBe(201);
    const { answer } = rawRequest(
      port,
      'POST /v1/models/m/infer HTTP/1.1\r\nHost: lb\r\nContent-Length: 100\r\n\r\n{"in',
    );
    const text = await answer; // resolves when the load balancer closes the connection
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text).toContain('E_BODY_TIMEOUT');
    expect(text).toContain('within 300 ms (4 of 100 bytes arrived)');
    expect(server.budget.usedBytes).toBe(0);
    expect(await inFlight(server)).toBe(0);
    const reg = rawRequest(
      port,
      'POST /replicas HTTP/1.1\r\nHost: lb\r\nAuthorization: Bearer x\r\nContent-Length: 50\r\n\r\n{',
    );
    expect(await reg.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect((await fetch(`${url}/v1/models/m/infer`, { method: 'POST', body: '{}' })).status).toBe(200);
  });

  it('a malformed request target is a 400 naming it, not a 500', async () => {
    const { port, url } = await lb();
    for (const target of ['//[', 'http://[::1']) {
      const { answer } = rawRequest(port, `GET ${target} HTTP/1.1\r\nHost: lb\r\nConnection: close\r\n\r\n`);
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 400 /);
      expect(text).toContain('E_BAD_PATH');
      expect(text).toContain(JSON.stringify(JSON.stringify(target)).slice(1, -1));
    }
    expect((await fetch(`${url}/livez`)).status).toBe(200);
  });

  it('the readiness probe reads at most 64 KiB of an answer and never follows a redirect', async () => {
    const { url } = await lb({ models: ['m'] });
    // A replica whose /v2/health/ready answers 200 and then streams up to 256 MiB.
    let written = 0;
    let cut = false;
    const flood = await rawReplica((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      const pump = (): void => {
        while (written < 256 * 2 ** 20 && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => {
        cut = written < 256 * 2 ** 20;
      });
      pump();
    });
    const res = await register(url, { replicaId: 'flood', model: 'm', url: flood });
    await res.text();
    await waitFor(() => cut, 10_000);
    expect(written).toBeLessThan(64 * 2 ** 20); // the probe stopped reading (kernel buffers allow a few MiB)
    // A replica that redirects its probe to a ready one is not ready itself.
    const ready = await replica('ready');
    const redirecting = await rawReplica((r) => r.writeHead(302, { location: `${ready.url}/v2/health/ready` }).end());
    const moved = await register(url, { replicaId: 'moved', model: 'm', url: redirecting });
    expect(moved.status).toBe(409);
    expect(((await moved.json()) as { message: string }).message).toContain('answered 302');
  });

  it('a replica trickling its answer forever is cut at upstreamDeadlineMs, freeing the client and the slot', async () => {
    const { server, url } = await lb({ models: ['m'], upstreamDeadlineMs: 800 });
    let ticks = 0;
    const trickle = await rawReplica(
      (res) => void res.writeHead(200, { 'content-type': 'application/json' }).end('{}'),
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const t = setInterval(() => {
          ticks += 1;
          res.write(' ');
        }, 20); // never idle long enough for upstreamTimeoutMs
        res.on('close', () => clearInterval(t));
      },
    );
    const r = await register(url, { replicaId: 't', model: 'm', url: trickle });
    expect(r.status).toBe(201);
    const res = await fetch(`${url}/v1/models/m/infer`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(200);
    const cut = await res.text().then(
      () => 'ended',
      (e: Error) => `cut: ${e.message}`,
    );
    expect(cut).toMatch(/^cut/);
    expect(ticks).toBeGreaterThan(0);
    await until(async () => (await inFlight(server)) === 0);
    expect(server.pool.get('t')?.outstanding).toBe(0);
  });
});
