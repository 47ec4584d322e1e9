import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { InMemoryReplicaProvider } from '@warmpool/testing/conformance';
import { ReplicaHealer } from '../src/daemon/replica-healer.js';
import { BASE_YAML, FunctionHistory, T0, config, harness, perSecondFrom } from './support/daemon-harness.js';

vi.setConfig({ testTimeout: 20_000 });

/** Steady 5/s for model a (one replica of 10/s serves it), 2/s for b. */
const steady = (model: string): number => (model === 'a' ? 5 : 2);

function world(yaml = BASE_YAML) {
  const clock = new ManualClock(T0);
  const provider = new InMemoryReplicaProvider({ a: 1, b: 1 }, () => clock.now());
  const h = harness({
    clock,
    provider,
    config: config(yaml),
    history: new FunctionHistory(steady),
    perSecond: perSecondFrom(clock, (m) => steady(m)),
  });
  return { clock, provider, h };
}

describe('Daemon: replicas that heal', () => {
  it('a replica that fails is counted failed (not warming), replaced through the queue with reason ReplicaFailed, and the capacity comes back', async () => {
    const { provider, h } = world();
    await h.daemon.start();
    await h.step(0);
    await h.step(1000);
    const failedId = provider.fail('a', undefined, 'warm-up failed: E_MODEL_CORRUPT');
    await h.step(1000);
    const d = h.sink.decisions('a').at(-1)!;
    expect(d.reasons).toContain('ReplicaFailed');
    // The planner sees none ready and none warming (from 0) and wants 1: the provider's 1 stays, with the failed one replaced.
    expect(d).toMatchObject({ acted: 'enqueued', failed: 1, ready: 0, warming: 0, desired: 1, from: 0, to: 1 });
    expect(d.replaced).toEqual([{ id: failedId, reason: 'failed: warm-up failed: E_MODEL_CORRUPT' }]);
    expect(d.message).toContain(`replacing 1 failed replica(s): ${failedId}`);
    expect(d.jobId).toMatch(/^replace:a:/);
    const job = provider.applied.at(-1)!;
    expect(job).toMatchObject({ model: 'a', replicas: 1, reason: 'ReplicaFailed', replace: [{ id: failedId }] });
    const state = await provider.getState('a');
    expect(state.replicas.map((r) => r.id)).not.toContain(failedId);
    expect(state.replicas.map((r) => r.phase)).toEqual(['warming']);
    provider.makeReady('a');
    await h.step(1000);
    expect(h.sink.decisions('a').at(-1)).toMatchObject({ ready: 1, warming: 0 });
    expect(h.sink.decisions('a').at(-1)!.failed).toBeUndefined();
    expect(h.sink.decisions('b').every((r) => !r.reasons.includes('ReplicaFailed'))).toBe(true);
    await h.daemon.stop();
  });

  it('a replica unready past its lead time plus the margin is failed and replaced; before that it is warming', async () => {
    // Model a keeps 2 warm: the first tick asks for a second replica, which never becomes ready.
    const { provider, h } = world(BASE_YAML.replace('minWarmReplicas: 1', 'minWarmReplicas: 2'));
    await h.daemon.start();
    await h.step(0);
    expect(provider.applied[0]).toMatchObject({ model: 'a', replicas: 2 });
    const stuck = (await provider.getState('a')).replicas.find((r) => r.phase === 'warming')!.id;
    // Lead time 10 s: failed past max(10 + 30, 2 × 10) = 40 s after it was requested.
    for (let i = 0; i < 39; i++) await h.step(1000);
    const early = h.sink.decisions('a').at(-1)!;
    expect(early.failed).toBeUndefined();
    expect(early.warming).toBe(1);
    for (let i = 0; i < 3; i++) await h.step(1000);
    const healed = h.sink.decisions('a').find((r) => r.replaced);
    expect(healed?.replaced?.[0]?.id).toBe(stuck);
    expect(healed?.replaced?.[0]?.reason).toMatch(
      /^not ready 4\d s after it was requested \(still warming; lead time 10 s, failed past 40 s\)$/,
    );
    expect((await provider.getState('a')).replicas.map((r) => r.id)).not.toContain(stuck);
    await h.daemon.stop();
  });

  it('a follower or a dry run counts the failed replica but replaces nothing', async () => {
    const clock = new ManualClock(T0);
    const provider = new InMemoryReplicaProvider({ a: 1, b: 1 }, () => clock.now());
    const h = harness({
      clock,
      provider,
      history: new FunctionHistory(steady),
      perSecond: perSecondFrom(clock, (m) => steady(m)),
      dryRun: true,
    });
    await h.daemon.start();
    await h.step(0);
    provider.fail('a');
    await h.step(1000);
    expect(h.sink.decisions('a').at(-1)).toMatchObject({ acted: 'dry-run', failed: 1 });
    expect(provider.applied.filter((r) => r.replace)).toEqual([]);
    await h.daemon.stop();
  });

  it('a broken image does not loop: replacements back off and stop at the cap per window, and the decision says so', async () => {
    const { provider, h } = world();
    await h.daemon.start();
    await h.step(0);
    const replacedAt: number[] = [];
    // Every replica fails as soon as it exists, for 10 minutes.
    for (let s = 1; s <= 600; s++) {
      const ready = (await provider.getState('a')).replicas.filter((r) => r.phase !== 'failed');
      for (const r of ready) provider.fail('a', r.id, 'warm-up failed');
      await h.step(1000);
      if (h.sink.decisions('a').at(-1)!.replaced) replacedAt.push(s);
    }
    // Default: at most 5 per 600 s, with waits of 5, 10, 20, 40 s between them.
    expect(replacedAt).toHaveLength(5);
    const gaps = replacedAt.slice(1).map((t, i) => t - replacedAt[i]!);
    expect(gaps).toEqual([5, 10, 20, 40]);
    const capped = h.sink.decisions('a').at(-1)!;
    expect(capped.failed).toBe(1);
    expect(capped.notes?.join(' ')).toMatch(
      /ReplicaFailed: 1 failed, not replaced this tick: replacements capped: 5 in the last 600 s/,
    );
    await h.daemon.stop();
  }, 60_000);
});

describe('ReplicaHealer', () => {
  const state = (replicas: { id: string; phase: 'warming' | 'ready' | 'failed'; requestedAtMs: number }[]) => ({
    model: 'm',
    desired: replicas.length,
    replicas,
  });

  it('resets its backoff once a replica asked for after the last replacement becomes ready', () => {
    const healer = new ReplicaHealer({ backoffBaseS: 10, maxPerWindow: 100 });
    const t = 1_000_000;
    healer.replaced([{ id: 'x', reason: 'r' }], t);
    healer.replaced([{ id: 'y', reason: 'r' }], t + 1);
    expect(healer.assess(state([{ id: 'z', phase: 'failed', requestedAtMs: t }]), 10, t + 5_000).heldBack).toMatch(
      /backing off/,
    );
    const after = healer.assess(
      state([
        { id: 'w', phase: 'ready', requestedAtMs: t + 2 },
        { id: 'z', phase: 'failed', requestedAtMs: t },
      ]),
      10,
      t + 5_000,
    );
    expect(after.replace.map((r) => r.id)).toEqual(['z']);
  });

  it('a replica that was ready once and is out of rotation now (readyAtMs set) is not a stuck warm-up', () => {
    const healer = new ReplicaHealer();
    const s = {
      model: 'm',
      desired: 1,
      replicas: [{ id: 'x', phase: 'warming' as const, requestedAtMs: 0, readyAtMs: 5_000 }],
    };
    expect(healer.assess(s, 10, 3_600_000).failed).toEqual([]);
  });

  it('does not ask again for an id it asked for within two minutes', () => {
    const healer = new ReplicaHealer({ backoffBaseS: 0, maxPerWindow: 100 });
    const s = state([{ id: 'z', phase: 'failed', requestedAtMs: 0 }]);
    expect(healer.assess(s, 10, 1_000).replace).toHaveLength(1);
    healer.replaced([{ id: 'z', reason: 'r' }], 1_000);
    expect(healer.assess(s, 10, 60_000)).toMatchObject({ failed: [{ id: 'z' }], replace: [] });
    expect(healer.assess(s, 10, 121_001).replace).toHaveLength(1);
  });
});
