// The health checker probes the KServe v2 health path and tells replicas apart by the id their ready answer carries:
// a removed replica whose port now serves another replica of the same model is not brought back. Loopback only.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { probeReady, REPLICA_ID_HEADER } from '../src/health-checker.js';
import { LoadBalancerServer } from '../src/load-balancer-server.js';

const TOKEN = 'identity-secret';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A model server's health side: paths asked are kept; the answer says ready or not, for a replica id. */
async function healthServer(state: {
  ready: boolean;
  id: string | undefined;
  v2: boolean;
  asked: string[];
}): Promise<string> {
  const s: Server = createServer((req: IncomingMessage, res) => {
    state.asked.push(req.url ?? '');
    const known = req.url === '/readyz' || (state.v2 && req.url === '/v2/health/ready');
    if (!known) return void res.writeHead(404).end('{}');
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (state.id !== undefined) headers[REPLICA_ID_HEADER] = state.id;
    res.writeHead(state.ready ? 200 : 503, headers).end(JSON.stringify({ ready: state.ready, models: { m: {} } }));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('ready probe on the v2 health path, with the replica id', { timeout: 30_000 }, () => {
  it('asks /v2/health/ready; a replica without it (404) is asked /readyz', async () => {
    const v2 = { ready: true, id: undefined, v2: true, asked: [] as string[] };
    expect(await probeReady(await healthServer(v2), 5_000, 'm')).toEqual({ ok: true, detail: 'ready' });
    expect(v2.asked).toEqual(['/v2/health/ready']);
    const old = { ready: true, id: undefined, v2: false, asked: [] as string[] };
    expect((await probeReady(await healthServer(old), 5_000, 'm')).ok).toBe(true);
    expect(old.asked).toEqual(['/v2/health/ready', '/readyz']);
  });

  it('a 200 naming another replica id is a failure naming both', async () => {
    const url = await healthServer({ ready: true, id: 'b', v2: true, asked: [] });
    expect(await probeReady(url, 5_000, 'm', 'b')).toEqual({ ok: true, detail: 'ready' });
    const other = await probeReady(url, 5_000, 'm', 'a');
    expect(other.ok).toBe(false);
    expect(other.detail).toContain('replica b, not replica a');
  });

  it('does not bring a removed replica back when its port now serves another replica of the same model', async () => {
    const state = { ready: true, id: 'a' as string | undefined, v2: true, asked: [] as string[] };
    const replicaUrl = await healthServer(state);
    const events: Array<Record<string, unknown>> = [];
    const lb = new LoadBalancerServer({
      token: TOKEN,
      pool: { slowStartMs: 0 },
      health: { intervalMs: 3_600_000, timeoutMs: 5_000, failureThreshold: 1 },
      log: (e) => events.push(e),
    });
    const { url } = await lb.listen();
    cleanups.push(() => lb.close());
    const reg = await fetch(`${url}/replicas`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ replicaId: 'a', model: 'm', url: replicaUrl }),
    });
    expect(reg.status).toBe(201);
    state.ready = false;
    await lb.health.checkOnce();
    expect(lb.pool.get('a')?.removedAtMs).toBeDefined();
    state.ready = true;
    state.id = 'a2'; // replica a died; a new replica of model m took the port
    await lb.health.checkOnce();
    expect(lb.pool.get('a')?.removedAtMs).toBeDefined();
    expect(lb.pool.get('a')?.lastError).toContain('not replica a');
    expect(events.map((e) => e['event'])).not.toContain('replica-restored');
    state.id = 'a'; // the same replica answers again: restored
    await lb.health.checkOnce();
    expect(events.map((e) => e['event'])).toContain('replica-restored');
  });
});
