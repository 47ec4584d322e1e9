import { describe, expect, it } from 'vitest';
import { InMemoryReplicaProvider } from '@warmpool/testing/conformance';
import { StopSignal, waitInitialWarmUp } from '../src/world/initial-warm-up.js';

/** Two replicas asked for; `onPoll` plays the world between the wait's polls (bounded by the wait's own budget). */
async function world(onPoll: (p: InMemoryReplicaProvider, poll: number) => void | Promise<void>) {
  const p = new InMemoryReplicaProvider({ m: 0 });
  await p.scale({ model: 'm', replicas: 2, idempotencyKey: 'initial', reason: 'r', message: 'start' });
  let poll = 0;
  const wrapped = {
    name: p.name,
    getState: async (model: string) => {
      await onPoll(p, ++poll);
      return p.getState(model);
    },
    scale: (r: Parameters<InMemoryReplicaProvider['scale']>[0]) => p.scale(r),
    close: () => p.close(),
  };
  return { p, provider: wrapped };
}

describe('the local world: the first replicas warm up (issue 16, finding 6)', () => {
  it('a replica that dies in its warm-up is replaced instead of the start waiting out its budget', async () => {
    const replaced: string[] = [];
    const { p, provider } = await world((pp, poll) => {
      if (poll === 2) pp.fail('m', 'm-1', 'exited on SIGKILL');
      if (poll === 4) pp.makeReady('m');
    });
    await waitInitialWarmUp(provider, 'm', {
      timeoutMs: 5_000,
      keyPrefix: 'w',
      stopped: () => undefined,
      onReplace: (id, reason) => replaced.push(`${id}: ${reason}`),
      pollMs: 1,
    });
    expect(replaced).toEqual(['m-1: exited on SIGKILL']);
    expect(p.applied.at(-1)).toMatchObject({
      replicas: 2,
      reason: 'ReplicaFailed',
      replace: [{ id: 'm-1', reason: 'exited on SIGKILL' }],
      idempotencyKey: 'w-replace-1',
    });
    const s = await p.getState('m');
    expect(s.replicas.map((r) => [r.id, r.phase])).toEqual([
      ['m-2', 'ready'],
      ['m-3', 'ready'],
    ]);
  });

  it('replicas that keep failing end the start after the cap, naming each failure', async () => {
    // A broken image: every replica fails in its warm-up.
    const { provider } = await world(async (pp) => {
      for (const r of (await pp.getState('m')).replicas)
        if (r.phase === 'warming') pp.fail('m', r.id, 'E_MODEL_CORRUPT');
    });
    await expect(
      waitInitialWarmUp(provider, 'm', {
        timeoutMs: 5_000,
        keyPrefix: 'w',
        stopped: () => undefined,
        maxReplacements: 3,
        pollMs: 1,
      }),
    ).rejects.toMatchObject({
      code: 'E_WORLD_START',
      message: expect.stringMatching(
        /^the first replica\(s\) of m kept failing in warm-up \(\d+ failed, 3 replaced\): m-1: E_MODEL_CORRUPT; m-2: E_MODEL_CORRUPT/,
      ),
    });
  });

  it('a stop ends the wait at once (StopSignal)', async () => {
    const { provider } = await world(() => {});
    await expect(
      waitInitialWarmUp(provider, 'm', { timeoutMs: 5_000, keyPrefix: 'w', stopped: () => 'SIGINT', pollMs: 1 }),
    ).rejects.toBeInstanceOf(StopSignal);
  });
});
