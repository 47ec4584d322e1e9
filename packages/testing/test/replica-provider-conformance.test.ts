import { WarmpoolError } from '@warmpool/domain';
import { describe, expect, it } from 'vitest';
import { InMemoryReplicaProvider } from '../src/conformance/in-memory-replica-provider.js';
import { replicaProviderConformance } from '../src/conformance/replica-provider-conformance.js';

// The suite against its reference implementation: proves the suite asks nothing Kubernetes-specific.
replicaProviderConformance('in-memory reference', async () => {
  let broken = false;
  const provider = new InMemoryReplicaProvider({ llama: 3 }, () => 1_700_000_000_000);
  const guarded = {
    name: provider.name,
    getState: (m: string) =>
      broken ? Promise.reject(new WarmpoolError('E_BACKEND', 'backend down')) : provider.getState(m),
    scale: (r: Parameters<InMemoryReplicaProvider['scale']>[0]) =>
      broken ? Promise.reject(new WarmpoolError('E_BACKEND', 'backend down')) : provider.scale(r),
    close: () => provider.close(),
  };
  return {
    provider: guarded,
    model: 'llama',
    initialReplicas: 3,
    makeReplicasReady: async (m) => provider.makeReady(m),
    setDesiredOutOfBand: async (m, n) => provider.setDesired(m, n),
    failReplica: async (m) => provider.fail(m),
    breakBackend: () => {
      broken = true;
    },
    close: () => provider.close(),
  };
});

describe('InMemoryReplicaProvider', () => {
  it('records only the requests that changed something', async () => {
    const p = new InMemoryReplicaProvider({ a: 1 });
    await p.scale({ model: 'a', replicas: 2, idempotencyKey: 'k', reason: 'r', message: 'm' });
    await p.scale({ model: 'a', replicas: 2, idempotencyKey: 'k', reason: 'r', message: 'm' });
    expect(p.applied).toHaveLength(1);
    const state = await p.getState('a');
    expect(state.replicas.map((r) => r.phase).sort()).toEqual(['ready', 'warming']);
  });
});
