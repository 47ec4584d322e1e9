// Regression tests for issue 16's load balancer findings (1: a removed replica never came back; 2: unauthenticated
// requests grew the load balancer without bound; 4: any replica could take another's traffic, reads were open, the
// bearer scheme was case-sensitive; 8: `%ZZ` in a model name was a 500). Each failed on the code before the fix.
// Loopback only; every wait bounded.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LoadBalancerServer } from '../src/load-balancer-server.js';
import { deriveReplicaToken } from '../src/replica-credential.js';
import { FakeReplica, waitFor } from './fake-replica.js';

const TOKEN = 'hardening-secret';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function lb(opts: Partial<ConstructorParameters<typeof LoadBalancerServer>[0]> = {}) {
  const events: Array<Record<string, unknown>> = [];
  const server = new LoadBalancerServer({
    token: TOKEN,
    pool: { slowStartMs: 0 },
    health: { intervalMs: 3_600_000, timeoutMs: 1_000, failureThreshold: 3 },
    log: (e) => events.push(e),
    ...opts,
  });
  const { url } = await server.listen();
  cleanups.push(() => server.close());
  return { server, url, events };
}

async function replica(id: string) {
  const r = await new FakeReplica(id).start();
  cleanups.push(() => r.stop());
  return r;
}

const auth = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
const register = (lbUrl: string, body: Record<string, unknown>, token = TOKEN) =>
  fetch(`${lbUrl}/replicas`, { method: 'POST', headers: auth(token), body: JSON.stringify(body) });
const infer = (lbUrl: string, model = 'm', body = '{"inputs":{}}') =>
  fetch(`${lbUrl}/v1/models/${model}/infer`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
    signal: AbortSignal.timeout(10_000),
  });

describe('finding 1 (load balancer half): a replica taken out by failed checks comes back', { timeout: 30_000 }, () => {
  it('keeps probing a removed replica and routes to it again once its /readyz answers 200', async () => {
    const { server, url, events } = await lb();
    const a = await replica('a');
    expect((await register(url, { replicaId: 'a', model: 'm', url: a.url })).status).toBe(201);
    a.ready = false; // busy with one long inference: /readyz stops answering 200
    for (let i = 0; i < 3; i++) await server.health.checkOnce();
    expect(events.map((e) => e['event'])).toContain('replica-removed');
    expect((await infer(url)).status).toBe(503);
    a.ready = true; // the long inference finished
    await server.health.checkOnce();
    const res = await infer(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-warmpool-replica')).toBe('a');
    expect(events.map((e) => e['event'])).toContain('replica-restored');
  });

  it('does not bring a removed replica back when its port now serves another model', async () => {
    let body = { ready: true, models: { m: { phase: 'ready' } } as Record<string, unknown> };
    const s: Server = createServer((_req, res) =>
      res.writeHead(body.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body)),
    );
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          s.closeAllConnections();
          s.close(() => r());
        }),
    );
    const { server, url, events } = await lb({
      health: { intervalMs: 3_600_000, timeoutMs: 1_000, failureThreshold: 1 },
    });
    expect(
      (
        await register(url, {
          replicaId: 'a',
          model: 'm',
          url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
        })
      ).status,
    ).toBe(201);
    body = { ready: false, models: { m: {} } };
    await server.health.checkOnce();
    body = { ready: true, models: { other: { phase: 'ready' } } }; // the process died; another model's replica got the port
    await server.health.checkOnce();
    expect(server.pool.get('a')?.removedAtMs).toBeDefined();
    expect(server.pool.get('a')?.lastError).toContain('not model m');
    expect(events.map((e) => e['event'])).not.toContain('replica-restored');
  });

  it('forgets a removed replica that stays down past forgetAfterMs, and a deregistered one is never brought back', async () => {
    let now = 1_000_000;
    const { server, url } = await lb({
      nowMs: () => now,
      health: { intervalMs: 3_600_000, timeoutMs: 1_000, failureThreshold: 1, forgetAfterMs: 60_000 },
    });
    const a = await replica('a');
    const b = await replica('b');
    await register(url, { replicaId: 'a', model: 'm', url: a.url });
    await register(url, { replicaId: 'b', model: 'm', url: b.url });
    a.ready = false;
    await server.health.checkOnce();
    now += 61_000;
    await server.health.checkOnce();
    expect(server.pool.get('a')).toBeUndefined();
    b.ready = false;
    await server.health.checkOnce(); // b removed
    expect((await fetch(`${url}/replicas/b`, { method: 'DELETE', headers: auth(TOKEN) })).status).toBe(200);
    b.ready = true;
    await server.health.checkOnce();
    expect(server.pool.get('b')).toBeUndefined();
  });
});

describe('finding 2: clients cannot grow the load balancer', { timeout: 30_000 }, () => {
  it('requests for models it does not serve are 404 and leave no state, no demand record and no metric series', async () => {
    const { server, url } = await lb({ models: ['m'] });
    // warmpool's own series only: the default process and Node.js metrics vary in length between scrapes (GC kinds)
    const own = (text: string): string =>
      text
        .split('\n')
        .filter((l) => l.startsWith('warmpool_'))
        .join('\n');
    const before = own(await (await fetch(`${url}/metrics`, { headers: auth(TOKEN) })).text()).length;
    for (let i = 0; i < 400; i += 20) {
      const answers = await Promise.all(Array.from({ length: 20 }, (_, j) => infer(url, `unique-${i + j}`)));
      for (const res of answers) expect(res.status).toBe(404);
    }
    expect(server.demand.modelNames()).toEqual([]);
    expect(server.models.list()).toEqual(['m']);
    const text = await (await fetch(`${url}/metrics`, { headers: auth(TOKEN) })).text();
    expect(text).not.toContain('unique-');
    expect(own(text).length).toBeLessThan(before + 200);
    expect(text).toMatch(/^warmpool_lb_refused_total\{reason="unknown_model"\} 400$/m);
  });

  it('a served model without a ready replica still counts demand (503), so the daemon can scale it from zero', async () => {
    const { server, url } = await lb({ models: ['m'] });
    expect((await infer(url)).status).toBe(503);
    expect(server.demand.series('m', Date.now(), 5).counts.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('caps request bodies held in memory at once: 503 with Retry-After past the cap, served again after', async () => {
    const { server, url } = await lb({ maxBufferedBytes: 1_000_000 });
    const a = await replica('a');
    await register(url, { replicaId: 'a', model: 'm', url: a.url });
    a.hold = true; // bodies stay buffered at the load balancer until the replica answers
    const body = JSON.stringify({ pad: 'x'.repeat(400_000) });
    const held = [infer(url, 'm', body), infer(url, 'm', body)];
    await waitFor(() => a.heldCount === 2, 10_000);
    expect(server.budget.usedBytes).toBeGreaterThan(800_000);
    const refused = await infer(url, 'm', body);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(((await refused.json()) as { error: string }).error).toBe('E_LB_OVERLOADED');
    a.hold = false;
    a.release();
    for (const p of held) {
      const res = await p;
      expect(res.status).toBe(200);
      await res.text();
    }
    await waitFor(() => server.budget.usedBytes === 0, 5_000); // given back once each answer has streamed through
    expect((await infer(url, 'm', body)).status).toBe(200);
  });

  it('streams a replica answer through instead of buffering it: the first bytes arrive while the replica is still writing', async () => {
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    const big: Server = createServer((req, res) => {
      if (req.url === '/readyz' || req.url === '/v2/health/ready') return void res.writeHead(200).end('{}');
      req.resume();
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(256 * 1024, 1));
      void finished.then(() => res.end(Buffer.alloc(1024, 2)));
    });
    await new Promise<void>((r) => big.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          finish();
          big.closeAllConnections();
          big.close(() => r());
        }),
    );
    const { url } = await lb();
    await register(url, {
      replicaId: 'big',
      model: 'm',
      url: `http://127.0.0.1:${(big.address() as AddressInfo).port}`,
    });
    const res = await infer(url);
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 256 * 1024) {
      const chunk = await reader.read();
      expect(chunk.done).toBe(false);
      got += chunk.value!.length;
    }
    finish(); // only now does the replica end its answer
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      got += chunk.value.length;
    }
    expect(got).toBe(257 * 1024);
  });

  it('a client that goes away before the answer cancels its request to the replica, which stays in rotation', async () => {
    const { server, url } = await lb();
    const a = await replica('a');
    await register(url, { replicaId: 'a', model: 'm', url: a.url });
    a.hold = true;
    const abort = new AbortController();
    const gone = fetch(`${url}/v1/models/m/infer`, { method: 'POST', body: '{}', signal: abort.signal }).catch(
      (e: unknown) => e,
    );
    await waitFor(() => a.heldCount === 1, 10_000);
    expect(server.pool.get('a')?.outstanding).toBe(1);
    abort.abort();
    await gone;
    await waitFor(() => server.pool.get('a')?.outstanding === 0, 10_000); // not held until the replica answers
    expect(server.pool.get('a')).toMatchObject({ ready: true, failures: 0 });
    a.hold = false;
    a.release();
    expect((await infer(url)).status).toBe(200);
  });

  it('bounds label values of status codes whatever a replica answers', async () => {
    const { codeLabel } = await import('../src/load-balancer-metrics.js');
    expect(new Set(Array.from({ length: 500 }, (_, i) => codeLabel(100 + i))).size).toBeLessThan(25);
  });
});

describe('finding 4: replica identity and authenticated reads', { timeout: 30_000 }, () => {
  it('refuses to move a registered id to a new URL while the old one answers, and says so in the log', async () => {
    const { url, events } = await lb();
    const a = await replica('a');
    const thief = await replica('thief');
    expect((await register(url, { replicaId: 'a', model: 'm', url: a.url })).status).toBe(201);
    const res = await register(url, { replicaId: 'a', model: 'm', url: thief.url });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toBe('E_REPLICA_ID_TAKEN');
    expect(events.find((e) => e['event'] === 'replica-move-refused')).toMatchObject({
      replicaId: 'a',
      url: a.url,
      requestedUrl: thief.url,
    });
    for (let i = 0; i < 3; i++) expect(((await (await infer(url)).json()) as { replica: string }).replica).toBe('a');
    expect(thief.served).toBe(0);
  });

  it('lets an id move once its old URL is gone, logging where it came from', async () => {
    const { url, events } = await lb();
    const old = await replica('a');
    const next = await replica('a2');
    await register(url, { replicaId: 'a', model: 'm', url: old.url });
    const oldUrl = old.url;
    await old.stop();
    expect((await register(url, { replicaId: 'a', model: 'm', url: next.url })).status).toBe(201);
    expect(events.filter((e) => e['event'] === 'replica-registered').at(-1)).toMatchObject({
      replicaId: 'a',
      url: next.url,
      movedFromUrl: oldUrl,
    });
  });

  it('per-replica credentials: a replica acts for its own id only and cannot read the table', async () => {
    const { url } = await lb();
    const a = await replica('a');
    const b = await replica('b');
    const tokenA = deriveReplicaToken(TOKEN, 'a');
    expect((await register(url, { replicaId: 'b', model: 'm', url: b.url }, tokenA)).status).toBe(401);
    expect((await register(url, { replicaId: 'a', model: 'm', url: a.url }, tokenA)).status).toBe(201);
    expect((await fetch(`${url}/replicas/a`, { headers: auth(tokenA) })).status).toBe(200);
    expect((await fetch(`${url}/replicas`, { headers: auth(tokenA) })).status).toBe(401);
    await register(url, { replicaId: 'b', model: 'm', url: b.url });
    expect((await fetch(`${url}/replicas/b`, { method: 'DELETE', headers: auth(tokenA) })).status).toBe(401);
    expect((await fetch(`${url}/replicas/a`, { method: 'DELETE', headers: auth(tokenA) })).status).toBe(200);
  });

  it('every endpoint but the data path (and /livez) needs the token; the Bearer scheme is case-insensitive', async () => {
    const { url } = await lb();
    for (const path of ['/replicas', '/demand?model=m&seconds=5', '/metrics', '/replicas/a']) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
    for (const scheme of ['bearer', 'BEARER', 'Bearer']) {
      expect(
        (await fetch(`${url}/replicas`, { headers: { authorization: `${scheme} ${TOKEN}` } })).status,
        scheme,
      ).toBe(200);
    }
    expect((await fetch(`${url}/livez`)).status).toBe(200);
  });
});

describe('finding 8 (load balancer half): malformed names are 400, not 500', { timeout: 30_000 }, () => {
  it('`%ZZ` in a model name or a replica id is a 400 naming the problem', async () => {
    const { url } = await lb({ models: ['m'] });
    const res = await infer(url, 'bad%ZZname');
    expect(res.status).toBe(400);
    expect((await res.json()) as { error: string; message: string }).toMatchObject({
      error: 'E_BAD_MODEL_NAME',
      message: expect.stringContaining('percent-encoding'),
    });
    expect((await infer(url, 'Not%20A%20Name')).status).toBe(400);
    expect((await fetch(`${url}/replicas/%ZZ`, { method: 'DELETE', headers: auth(TOKEN) })).status).toBe(400);
  });
});
