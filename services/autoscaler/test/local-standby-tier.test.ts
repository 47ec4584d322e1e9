import { describe, expect, it } from 'vitest';
import type { ReplicaProvider, ReplicaSetState, WarmTier } from '@warmpool/domain';
import type { DaemonLogRecord } from '../src/daemon/daemon-record.js';
import { LeadTimeEstimator } from '../src/daemon/lead-time-estimator.js';
import { LoadBalancerMembership } from '../src/daemon/load-balancer-membership.js';
import { WarmTierActor } from '../src/daemon/warm-tier-actor.js';

// The daemon's side of the local provider's host-tier standbys (the provider itself is tested with real agent
// processes in packages/provider-local/test/host-tier-standby.test.ts).
describe('local host-tier standbys in the daemon', () => {
  it('the tier change record says what the provider did in its own words (standbys kept / ended)', async () => {
    const calls: Array<[string, WarmTier]> = [];
    const provider = {
      name: 'local',
      getState: async (): Promise<ReplicaSetState> => ({ model: 'm', desired: 0, replicas: [] }),
      scale: async () => undefined,
      setWarmTier: async (model: string, tier: WarmTier) => {
        calls.push([model, tier]);
        return {
          poolState: undefined,
          changed: true,
          standbys: tier === 'host' ? 1 : 0,
          description:
            tier === 'host'
              ? '1 standby replica(s) kept loaded, not registered (a scale-up promotes them)'
              : 'no standbys (1 ending)',
        };
      },
    } as unknown as ReplicaProvider;
    const records: DaemonLogRecord[] = [];
    const actor = new WarmTierActor(
      provider,
      (r) => records.push(r),
      () => '2026-12-07T00:00:00.000Z',
    );
    const mode = { acting: true, advise: new Set<string>() };
    await actor.apply([{ model: 'm', tier: 'host' }], mode);
    await actor.apply([{ model: 'm', tier: 'host' }], mode);
    await actor.apply([{ model: 'm', tier: 'cold' }], mode);
    expect(calls).toEqual([
      ['m', 'host'],
      ['m', 'cold'],
    ]);
    const changes = records
      .filter((r) => r.kind === 'fleet' && r.event === 'warm-tier-changed')
      .map((r) => (r as { message?: string }).message);
    expect(changes).toEqual([
      'm: warmth tier (none) -> host: 1 standby replica(s) kept loaded, not registered (a scale-up promotes them)',
      'm: warmth tier host -> cold: no standbys (1 ending)',
    ]);
  });

  it('a promoted standby (warmTier host on the replica) is a host sample whatever tier the model is in now', () => {
    const e = new LeadTimeEstimator(20, 2);
    const up = (id: string, startMs: number, totalS: number, modelTier: string, own?: WarmTier) => {
      const r = { id, requestedAtMs: startMs, ...(own ? { warmTier: own } : {}) };
      e.observe({ model: 'm', desired: 1, replicas: [{ ...r, phase: 'warming' }] }, startMs + 10, modelTier);
      e.observe(
        { model: 'm', desired: 1, replicas: [{ ...r, phase: 'ready', readyAtMs: startMs + totalS * 1000 }] },
        startMs + totalS * 1000 + 10,
        modelTier,
      );
    };
    up('p1', 0, 0.2, 'gpu', 'host');
    up('p2', 100_000, 0.3, 'host', 'host');
    up('c1', 200_000, 9, 'host', 'cold');
    up('c2', 300_000, 11, 'host', 'cold');
    expect(e.estimate('host')).toMatchObject({ leadTimeS: 0.3, samples: 2, tier: 'host' });
    expect(e.estimate('cold')).toMatchObject({ leadTimeS: 11, samples: 2, tier: 'cold' });
  });

  it('the load balancer membership wrapper the daemon puts around the local provider forwards setWarmTier, and has none when the provider has none', async () => {
    const base = {
      name: 'local',
      getState: async () => ({ model: 'm', desired: 0, replicas: [] }),
      scale: async () => undefined,
      close: async () => undefined,
    };
    const seen: string[] = [];
    const withTiers = new LoadBalancerMembership(
      {
        ...base,
        setWarmTier: async (_m: string, t: WarmTier) => {
          seen.push(t);
          return { poolState: undefined, changed: true, description: 'd' };
        },
      } as unknown as ReplicaProvider,
      'http://127.0.0.1:1',
      undefined,
    );
    expect(await withTiers.setWarmTier?.('m', 'host')).toEqual({
      poolState: undefined,
      changed: true,
      description: 'd',
    });
    expect(seen).toEqual(['host']);
    const without = new LoadBalancerMembership(base as unknown as ReplicaProvider, 'http://127.0.0.1:1', undefined);
    expect(without.setWarmTier).toBeUndefined();
  });
});
