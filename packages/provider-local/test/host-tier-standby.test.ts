import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import { LocalProcessProvider, type LocalModelState } from '../src/local-process-provider.js';
import { agentBinPath, alive, tempWorld } from './agent-fixture.js';

const MODEL = 'tiny-transformer';
const TOKEN = 'standby-token';
const world = tempWorld('warmpool-local-standby-');
afterAll(() => world.remove());

/** One request through the load balancer; its HTTP status. */
async function inferThroughLb(lbUrl: string): Promise<number> {
  const body = JSON.stringify({ inputs: { input_ids: { dims: [1, 8], data: [1, 2, 3, 4, 5, 6, 7, 8] } } });
  const res = await fetch(`${lbUrl}/v1/models/${MODEL}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await res.arrayBuffer();
  return res.status;
}

const warmStandbys = (s: LocalModelState): number => s.standbys.filter((r) => r.standby === 'standing-by').length;

// Host warmth tier on the local provider: real agent processes (`serve --standby`) and the real load balancer. The
// provisioning delay (3 s) stands in for a node start: a cold start pays it plus load and warm-up, a promoted standby
// only a quick pass and its registration. Waits are event-driven (state polls) with generous bounds.
describe('local provider: host-tier standbys', () => {
  it('host keeps a warm unregistered standby; a scale-up promotes it and it serves through the LB much sooner than a cold start; cold ends standbys', {
    timeout: 300_000,
  }, async () => {
    const lb = new LoadBalancerServer({ token: TOKEN, pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    const events: Array<Record<string, unknown>> = [];
    const provider = new LocalProcessProvider({
      agentBinPath: agentBinPath(),
      runDir: join(world.dir, 'run'),
      models: [
        {
          model: MODEL,
          agentArgs: world.agentArgs,
          lbUrl,
          lbToken: TOKEN,
          provisionDelayMs: 3_000,
          drainTimeoutMs: 3_000,
          standbyReplicas: 1,
        },
      ],
      log: (e) => events.push(e),
    });
    const pids: number[] = [];
    try {
      // host: one standby process, loaded and warm, not registered, not a replica.
      const set = await provider.setWarmTier(MODEL, 'host');
      expect(set).toMatchObject({ poolState: undefined, changed: true, standbys: 1 });
      expect(set.description).toContain('1 standby');
      const standing = await provider.waitFor(MODEL, (s) => warmStandbys(s) === 1, 120_000);
      expect(standing.desired).toBe(0);
      expect(standing.replicas).toEqual([]);
      const standby = standing.standbys[0]!;
      expect(standby.registered).toBe(false);
      expect(alive(standby.pid)).toBe(true);
      pids.push(standby.pid!);
      expect(lb.pool.get(standby.id)).toBeUndefined();

      // Scale-up: the standby is promoted (no new process for the replica), serves through the LB; a new standby follows.
      const t0 = Date.now();
      await provider.scale({
        model: MODEL,
        replicas: 1,
        idempotencyKey: 'up-1',
        reason: 'ForecastScaleAhead',
        message: 'promote',
      });
      const one = await provider.waitUntilReady(MODEL, 120_000);
      expect(await inferThroughLb(lbUrl)).toBe(200);
      const promoteMs = Date.now() - t0;
      const promoted = one.replicas[0]!;
      expect(promoted.id).toBe(standby.id);
      expect(promoted.pid).toBe(standby.pid);
      expect(promoted.registered).toBe(true);
      expect(promoted.warmTier).toBe('host');
      expect(promoted.promotedAtMs).toBeGreaterThanOrEqual(t0);
      expect(promoted.requestedAtMs).toBe(promoted.promotedAtMs);
      expect(lb.pool.get(promoted.id)?.ready).toBe(true);
      expect(events.some((e) => e['event'] === 'standby-promoted' && e['replicaId'] === standby.id)).toBe(true);
      const refilled = await provider.getState(MODEL);
      expect(refilled.standbys).toHaveLength(1);
      expect(refilled.standbys[0]!.id).not.toBe(standby.id);
      // Not registered while it stands by, even once warm.
      const second = await provider.waitFor(MODEL, (s) => warmStandbys(s) === 1, 120_000);
      expect(lb.pool.get(second.standbys[0]!.id)).toBeUndefined();
      pids.push(second.standbys[0]!.pid!);

      // cold: the standby ends; the next scale-up is a full start (provisioning, load, warm-up).
      const cold = await provider.setWarmTier(MODEL, 'cold');
      expect(cold).toMatchObject({ changed: true, standbys: 0 });
      await provider.waitFor(MODEL, (s) => s.standbys.length === 0, 30_000);
      const ended = second.standbys[0]!.pid!;
      const deadline = Date.now() + 30_000;
      while (alive(ended) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(alive(ended)).toBe(false);

      const t1 = Date.now();
      await provider.scale({
        model: MODEL,
        replicas: 2,
        idempotencyKey: 'up-2',
        reason: 'ForecastScaleAhead',
        message: 'cold start',
      });
      const two = await provider.waitUntilReady(MODEL, 120_000);
      expect(await inferThroughLb(lbUrl)).toBe(200);
      const coldMs = Date.now() - t1;
      const started = two.replicas.find((r) => r.id !== standby.id)!;
      expect(started.promotedAtMs).toBeUndefined();
      expect(started.warmTier).toBeUndefined();
      expect((await provider.getState(MODEL)).standbys).toEqual([]);
      // Much sooner: the cold start pays the 3 s provisioning delay and the load; the promotion only a quick pass.
      expect(coldMs).toBeGreaterThanOrEqual(3_000);
      expect(promoteMs * 2).toBeLessThan(coldMs);
      console.log(`host-tier standby: promoted and serving in ${promoteMs} ms; cold start ${coldMs} ms`);
      for (const r of two.replicas) pids.push(r.pid!);
    } finally {
      await provider.close();
      await lb.close();
    }
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });

  it('gpu keeps no standbys; a model without a load balancer keeps none in host; bad tiers and options are refused', async () => {
    const provider = new LocalProcessProvider({
      agentBinPath: agentBinPath(),
      runDir: join(world.dir, 'run-2'),
      models: [{ model: MODEL, agentArgs: world.agentArgs }],
      reaper: false,
    });
    try {
      expect(await provider.setWarmTier(MODEL, 'gpu')).toMatchObject({ changed: true, standbys: 0 });
      const host = await provider.setWarmTier(MODEL, 'host');
      expect(host).toMatchObject({ changed: true, standbys: 0 });
      expect(host.description).toContain('no load balancer');
      expect((await provider.getState(MODEL)).standbys).toEqual([]);
      await expect(provider.setWarmTier(MODEL, 'warm' as never)).rejects.toThrow(/gpu, host or cold/);
      await expect(provider.setWarmTier('nope', 'host')).rejects.toMatchObject({ code: 'E_UNKNOWN_MODEL' });
    } finally {
      await provider.close();
    }
    expect(
      () =>
        new LocalProcessProvider({
          agentBinPath: agentBinPath(),
          runDir: join(world.dir, 'run-3'),
          models: [{ model: MODEL, standbyReplicas: -1, agentArgs: ['--standby'] }],
        }),
    ).toThrow(
      /models\[0\]\.standbyReplicas[\s\S]*models\[0\]\.agentArgs|models\[0\]\.agentArgs[\s\S]*models\[0\]\.standbyReplicas/,
    );
  });
});
