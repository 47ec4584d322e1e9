// Issue 16 finding 1 (daemon half): the daemon counted a replica ready that the load balancer had taken out (ready=5
// while 4 were routed). With LoadBalancerMembership the ready count is the load balancer's routing table, reconciled
// at every getState (every tick). Loopback only; bounded.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReplicaProvider, ReplicaSetState } from '@warmpool/domain';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import { loadBalancerDemand } from '../src/daemon/load-balancer-demand.js';
import { LoadBalancerMembership } from '../src/daemon/load-balancer-membership.js';

const SECRET = 'daemon-secret';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A replica's /readyz, switchable. */
async function replicaServer(): Promise<{ url: string; setReady: (ok: boolean) => void }> {
  let ready = true;
  const s: Server = createServer((_req, res) =>
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end('{}'),
  );
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  );
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, setReady: (ok) => (ready = ok) };
}

/** The provider's view: every replica it started says ready. */
const providerSaysReady = (ids: string[]): ReplicaProvider => ({
  name: 'fake-local',
  getState: async (model): Promise<ReplicaSetState> => ({
    model,
    desired: ids.length,
    replicas: ids.map((id) => ({ id, phase: 'ready', requestedAtMs: 0, readyAtMs: 1 })),
  }),
  scale: async () => {},
  close: async () => {},
});

describe('LoadBalancerMembership', () => {
  it('counts ready only the replicas the load balancer routes to, every getState', async () => {
    const lb = new LoadBalancerServer({ token: SECRET, health: { intervalMs: 3_600_000, failureThreshold: 1 } });
    const { url: lbUrl } = await lb.listen();
    cleanups.push(() => lb.close());
    const ids = ['r0', 'r1', 'r2', 'r3', 'r4'];
    const replicas = await Promise.all(ids.map(() => replicaServer()));
    for (const [i, id] of ids.entries()) {
      const res = await fetch(`${lbUrl}/replicas`, {
        method: 'POST',
        headers: { authorization: `Bearer ${SECRET}` },
        body: JSON.stringify({ replicaId: id, model: 'm', url: replicas[i]!.url }),
      });
      expect(res.status).toBe(201);
    }
    const provider = new LoadBalancerMembership(providerSaysReady(ids), lbUrl, SECRET);
    const readyCount = async () => (await provider.getState('m')).replicas.filter((r) => r.phase === 'ready').length;
    expect(await readyCount()).toBe(5);

    replicas[2]!.setReady(false); // one long inference: its checks fail and the load balancer takes it out
    await lb.health.checkOnce();
    expect(lb.pool.get('r2')?.removedAtMs).toBeDefined();
    const state = await provider.getState('m');
    expect(state.replicas.filter((r) => r.phase === 'ready').map((r) => r.id)).toEqual(['r0', 'r1', 'r3', 'r4']);
    expect(state.replicas.find((r) => r.id === 'r2')?.phase).toBe('warming');

    replicas[2]!.setReady(true); // back: probed while removed, routed again
    await lb.health.checkOnce();
    expect(await readyCount()).toBe(5);
  });

  it('a load balancer it cannot read is a typed error for the tick, not a guess', async () => {
    const lb = new LoadBalancerServer({ token: SECRET });
    const { url } = await lb.listen();
    const wrongToken = new LoadBalancerMembership(providerSaysReady(['a']), url, 'not-the-secret');
    await expect(wrongToken.getState('m')).rejects.toMatchObject({
      code: 'E_LB_MEMBERSHIP',
      message: expect.stringContaining('401'),
    });
    await lb.close();
    await expect(new LoadBalancerMembership(providerSaysReady(['a']), url, SECRET).getState('m')).rejects.toMatchObject(
      { code: 'E_LB_MEMBERSHIP' },
    );
  });

  it('reads /demand with the shared token', async () => {
    const lb = new LoadBalancerServer({ token: SECRET, models: ['m'] });
    const { url } = await lb.listen();
    cleanups.push(() => lb.close());
    await expect(loadBalancerDemand(url)('m', 5)).rejects.toMatchObject({
      code: 'E_DEMAND_SOURCE',
      message: expect.stringContaining('401'),
    });
    expect((await loadBalancerDemand(url, SECRET)('m', 5)).counts).toEqual([0, 0, 0, 0, 0]);
  });
});
