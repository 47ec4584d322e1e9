import { afterEach, describe, expect, it } from 'vitest';
import { LoadBalancerServer } from '../src/load-balancer-server.js';
import { LocalRegistrar } from '../src/local-registrar.js';
import { FakeReplica, waitFor } from './fake-replica.js';

const TOKEN = 'test-token';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function lb(opts: Partial<ConstructorParameters<typeof LoadBalancerServer>[0]> = {}) {
  const server = new LoadBalancerServer({
    token: TOKEN,
    pool: { slowStartMs: 0 },
    health: { intervalMs: 3_600_000, timeoutMs: 500, failureThreshold: 2 },
    ...opts,
  });
  const { url } = await server.listen();
  cleanups.push(() => server.close());
  return { server, url };
}

async function replica(id: string) {
  const r = await new FakeReplica(id).start();
  cleanups.push(() => r.stop());
  return r;
}

const register = (lbUrl: string, body: unknown, token = TOKEN) =>
  fetch(`${lbUrl}/replicas`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const admin = { authorization: `Bearer ${TOKEN}` };
const get = (lbUrl: string, path: string) => fetch(`${lbUrl}${path}`, { headers: admin });
const infer = (lbUrl: string, model = 'm') =>
  fetch(`${lbUrl}/v1/models/${model}/infer`, {
    method: 'POST',
    body: '{"inputs":{}}',
    headers: { 'content-type': 'application/json' },
  });

describe('LoadBalancerServer', () => {
  it('protects the registration API with the token and validates the body', async () => {
    const { url } = await lb();
    const r = await replica('a');
    expect((await register(url, { replicaId: 'a', model: 'm', url: r.url }, 'wrong')).status).toBe(401);
    expect((await fetch(`${url}/replicas/a`, { method: 'DELETE' })).status).toBe(401);
    const bad = await register(url, { replicaId: 'a', model: 'M M', url: 'nope' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toMatch(/model[\s\S]*url/);
    expect((await register(url, { replicaId: 'a', model: 'm', url: r.url, executionProvider: 'cpu' })).status).toBe(
      201,
    );
    expect((await fetch(`${url}/replicas`)).status).toBe(401);
    const list = (await (await get(url, '/replicas')).json()) as {
      replicas: Array<{ replicaId: string; ready: boolean }>;
    };
    expect(list.replicas).toMatchObject([{ replicaId: 'a', ready: true }]);
  });

  it('refuses to register a replica whose /readyz is not 200, with its reason', async () => {
    const { url } = await lb({ models: ['m'] });
    const r = await replica('cold');
    r.ready = false;
    const res = await register(url, { replicaId: 'cold', model: 'm', url: r.url });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { message: string }).message).toContain('cold warming');
    expect((await infer(url)).status).toBe(503);
  });

  it('routes only to ready replicas of the model, least outstanding first', async () => {
    const { url } = await lb();
    const a = await replica('a');
    const b = await replica('b');
    const other = await replica('other');
    for (const [id, r, model] of [
      ['a', a, 'm'],
      ['b', b, 'm'],
      ['other', other, 'x'],
    ] as const) {
      expect((await register(url, { replicaId: id, model, url: r.url })).status).toBe(201);
    }
    a.hold = true;
    b.hold = true;
    const first = infer(url);
    await waitFor(() => a.heldCount + b.heldCount === 1);
    const busy = a.heldCount === 1 ? a : b;
    const idle = busy === a ? b : a;
    const second = infer(url);
    await waitFor(() => idle.heldCount === 1); // went to the one with 0 outstanding
    expect(busy.heldCount).toBe(1);
    a.release();
    b.release();
    const ids = await Promise.all([first, second].map(async (p) => (await p).headers.get('x-warmpool-replica')));
    expect(new Set(ids)).toEqual(new Set(['a', 'b']));
    expect(other.served).toBe(0);
    const viaOther = await infer(url, 'x');
    expect(((await viaOther.json()) as { replica: string }).replica).toBe('other');
    const none = await infer(url, 'unknown-model');
    expect(none.status).toBe(404);
    expect(((await none.json()) as { message: string }).message).toContain('model unknown-model is not served here');
  });

  it('slow start: a newly registered replica gets a linearly growing share of real traffic', async () => {
    let now = 1_000_000;
    const { url } = await lb({ nowMs: () => now, pool: { slowStartMs: 30_000, slowStartMinWeight: 0.05 } });
    const old = await replica('old');
    const fresh = await replica('new');
    await register(url, { replicaId: 'old', model: 'm', url: old.url });
    now += 60_000; // old is past its ramp
    await register(url, { replicaId: 'new', model: 'm', url: fresh.url });
    const shareAt = async (ageMs: number, n: number): Promise<number> => {
      now = 1_060_000 + ageMs;
      const before = fresh.served;
      for (let i = 0; i < n; i++) expect((await infer(url)).status).toBe(200);
      return (fresh.served - before) / n;
    };
    expect(await shareAt(7_500, 40)).toBeCloseTo(0.25 / 1.25, 1); // weight 0.25
    expect(await shareAt(22_500, 35)).toBeCloseTo(0.75 / 1.75, 1); // weight 0.75
    expect(await shareAt(30_000, 40)).toBe(0.5); // full weight: least outstanding, ties rotate
    const weights = (await (await get(url, '/replicas')).json()) as {
      replicas: Array<{ replicaId: string; weight: number }>;
    };
    expect(weights.replicas.map((r) => r.weight)).toEqual([1, 1]);
  });

  it('health checks stop routing to a failing replica at once and take it out of the table after the threshold', async () => {
    const removed: string[] = [];
    const { server, url } = await lb({
      log: (e) => e['event'] === 'replica-removed' && removed.push(String(e['replicaId'])),
    });
    const a = await replica('a');
    const b = await replica('b');
    await register(url, { replicaId: 'a', model: 'm', url: a.url });
    await register(url, { replicaId: 'b', model: 'm', url: b.url });
    a.ready = false;
    await server.health.checkOnce();
    expect(server.pool.get('a')?.ready).toBe(false);
    for (let i = 0; i < 4; i++) expect((await infer(url)).headers.get('x-warmpool-replica')).toBe('b');
    await server.health.checkOnce();
    expect(server.pool.get('a')?.removedAtMs).toBeDefined();
    expect(removed).toEqual(['a']);
    for (let i = 0; i < 2; i++) expect((await infer(url)).headers.get('x-warmpool-replica')).toBe('b');
    // a replica that recovers before the threshold comes back
    b.ready = false;
    await server.health.checkOnce();
    b.ready = true;
    await server.health.checkOnce();
    expect(server.pool.get('b')?.ready).toBe(true);
  });

  it('retries on another replica when one refuses the connection', async () => {
    const { server, url } = await lb();
    const a = await replica('a');
    const b = await replica('b');
    await register(url, { replicaId: 'a', model: 'm', url: a.url });
    await register(url, { replicaId: 'b', model: 'm', url: b.url });
    await a.stop();
    for (let i = 0; i < 3; i++) expect((await infer(url)).status).toBe(200);
    expect(server.pool.get('a')?.ready).toBe(false);
    expect(b.served).toBe(3);
  });

  it('sends a request again on a fresh connection when the replica closed the reused keep-alive one, without taking the replica out', async () => {
    const events: Array<Record<string, unknown>> = [];
    const { server, url } = await lb({ log: (e) => events.push(e) });
    const a = await replica('a');
    await register(url, { replicaId: 'a', model: 'm', url: a.url });
    a.reset = 'reused';
    for (let i = 0; i < 4; i++) expect((await infer(url)).status).toBe(200);
    expect(a.resets).toBeGreaterThan(0); // the load balancer's pooled connection was reused and reset
    expect(a.served).toBe(4);
    expect(server.pool.get('a')).toMatchObject({ ready: true, failures: 0 });
    expect(events.filter((e) => e['event'] === 'upstream-stale-socket')).toHaveLength(a.resets);
  });

  it('a replica that resets fresh connections too is taken out and the request tried elsewhere', async () => {
    const { server, url } = await lb();
    const a = await replica('a');
    const b = await replica('b');
    await register(url, { replicaId: 'a', model: 'm', url: a.url });
    await register(url, { replicaId: 'b', model: 'm', url: b.url });
    a.reset = 'all';
    for (let i = 0; i < 3; i++) expect((await infer(url)).status).toBe(200);
    expect(server.pool.get('a')?.ready).toBe(false);
    expect(b.served).toBe(3);
  });

  it('exports per-model demand per second and Prometheus metrics', async () => {
    let now = 100_000;
    const { url } = await lb({ nowMs: () => now });
    const a = await replica('a');
    await register(url, { replicaId: 'a', model: 'm', url: a.url });
    for (let i = 0; i < 3; i++) await infer(url);
    now += 1000;
    await infer(url);
    expect((await infer(url, 'nobody')).status).toBe(404);
    expect((await fetch(`${url}/demand?model=m&seconds=3`)).status).toBe(401);
    const demand = (await (await get(url, '/demand?model=m&seconds=3')).json()) as {
      counts: number[];
      total: number;
      startMs: number;
    };
    expect(demand).toMatchObject({ counts: [0, 3, 1], total: 4, startMs: 99_000 });
    expect((await get(url, '/demand?model=m&seconds=0')).status).toBe(400);
    expect((await get(url, '/demand')).status).toBe(400);
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const text = await (await get(url, '/metrics')).text();
    expect(text).toMatch(/^warmpool_lb_requests_total\{model="m",code="200"\} 4$/m);
    expect(text).not.toContain('nobody');
    expect(text).toMatch(/^warmpool_lb_refused_total\{reason="unknown_model"\} 1$/m);
    expect(text).toMatch(/^warmpool_lb_request_duration_seconds_count\{model="m"\} 4$/m);
    expect(text).toMatch(/^warmpool_lb_replicas\{model="m",state="ready"\} 1$/m);
    expect(text).toMatch(/^warmpool_lb_demand_last_second\{model="m"\} 3$/m);
    // The body-bytes cap (64 MiB by default), its unit last as Prometheus names it (was ..._bytes_limit).
    expect(text).toMatch(/^warmpool_lb_buffered_limit_bytes 67108864$/m);
    expect(text).toMatch(/^warmpool_lb_buffered_bytes 0$/m);
    expect(text).not.toContain('warmpool_lb_buffered_bytes_limit');
  });
});

describe('LocalRegistrar against the real load balancer', () => {
  const registration = (url: string) => ({ replicaId: 'r1', model: 'm', url, executionProvider: 'cpu' });

  it('registers, then deregisters draining in-flight requests', async () => {
    const { server, url } = await lb();
    const r = await replica('r1');
    const registrar = new LocalRegistrar({ lbUrl: url, token: TOKEN, retries: 0 });
    await registrar.heartbeat(registration(r.url));
    await registrar.register(registration(r.url));
    expect(server.pool.get('r1')?.ready).toBe(true);
    r.hold = true;
    const inflight = infer(url);
    await waitFor(() => r.heldCount === 1);
    let deregistered = false;
    const dereg = registrar.deregister(registration(r.url)).then(() => (deregistered = true));
    await waitFor(() => server.pool.get('r1')?.draining === true);
    expect((await infer(url)).status).toBe(503); // no new traffic while draining
    expect(deregistered).toBe(false); // still waiting for the in-flight request
    r.release();
    expect((await inflight).status).toBe(200);
    await dereg;
    expect(server.pool.get('r1')).toBeUndefined();
    await registrar.deregister(registration(r.url)); // already gone: fine
  });

  it('an unreachable load balancer is a clear error after the configured retries', async () => {
    const { url } = await lb();
    await cleanups.pop()!(); // close it: the port now refuses connections
    const sleeps: number[] = [];
    const registrar = new LocalRegistrar({
      lbUrl: url,
      token: TOKEN,
      retries: 3,
      retryDelayMs: 100,
      sleep: async (ms) => void sleeps.push(ms),
    });
    const err = await registrar.register(registration('http://127.0.0.1:9')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_LB_UNREACHABLE', lbUrl: url });
    expect((err as Error).message).toMatch(
      new RegExp(`load balancer ${url}: POST /replicas failed after 4 tries: ECONNREFUSED`),
    );
    expect(sleeps).toEqual([100, 200, 400]);
  });

  it('a wrong token or a replica that is not ready is refused, not retried forever', async () => {
    const { url } = await lb();
    const r = await replica('r1');
    const wrong = new LocalRegistrar({ lbUrl: url, token: 'nope', retries: 5, sleep: async () => {} });
    await expect(wrong.register(registration(r.url))).rejects.toMatchObject({
      code: 'E_LB_REJECTED',
      message: expect.stringContaining('401'),
    });
    r.ready = false;
    let tries = 0;
    const registrar = new LocalRegistrar({
      lbUrl: url,
      token: TOKEN,
      retries: 2,
      sleep: async () => {
        tries += 1;
      },
    });
    await expect(registrar.register(registration(r.url))).rejects.toMatchObject({
      code: 'E_LB_REJECTED',
      message: expect.stringContaining('409'),
    });
    expect(tries).toBe(2);
  });
});
