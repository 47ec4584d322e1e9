import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { FileCheckpointStore } from '../src/daemon/checkpoint-store.js';
import { T0, config, harness, perSecondFrom } from './support/daemon-harness.js';
import { SwitchLeader } from './support/daemon-scenario.js';
import { StagedProvider } from './support/staged-provider.js';

vi.setConfig({ testTimeout: 60_000 });

const dir = mkdtempSync(join(tmpdir(), 'warmpool-burst-checkpoint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * One bursty model: 30-s lead time, 5-s steps (shorter than the lead time: the burst rules may apply), a band quantile
 * of 0.7 (the forecast alone keeps little through a gap) and a miss cost of 30 served requests (the burst rules do).
 */
const BURSTY_YAML = `tickS: 1
history: { kind: csv, directory: /tmp, backfillS: 0 }
models:
  - name: a
    capacityPerReplicaPerS: 10
    leadTime: { provisionS: 20, loadS: 5, warmupS: 5 }
    minWarmReplicas: 1
    maxReplicas: 20
    horizonS: 10
    scaleDownStabilizationS: 0
    upperQuantile: 0.7
    releaseQuantile: 0.7
    missCostServedRequests: 30
    stepS: 5
    target: { modelFile: a.onnx }
`;
const BURSTY = config(BURSTY_YAML);
const STAGES = { provisioning: 20, loading: 5, warming: 5 };

/** Bursts of 80/s for 20 s every 150 s, 0.5/s between: intermittent traffic. */
const PERIOD_S = 150;
const bursty = (_m: string, second: number): number => ((second - T0 / 1000) % PERIOD_S < 20 ? 80 : 0.5);
/** Reasons only the burst rules give. */
const BURST_REASONS = ['BurstKeepAliveExpired', 'BurstPanicBounded', 'KeepWarmForBurst', 'PreWarmForBurst'];

/** A daemon on `store` from `startMs`, ticking `ticks` seconds; returns the burst reasons it gave and its records. */
async function run(store: FileCheckpointStore | undefined, startMs: number, ticks: number, replicas = 1) {
  const clock = new ManualClock(startMs);
  const h = harness({
    clock,
    config: BURSTY,
    provider: new StagedProvider({ a: replicas }, () => clock.now(), STAGES),
    perSecond: perSecondFrom(clock, bursty),
    deps: { history: undefined, ...(store ? { checkpoint: store } : {}) },
  });
  await h.daemon.start();
  for (let i = 0; i < ticks; i++) await h.step(i === 0 ? 0 : 1000);
  await h.daemon.stop();
  const decisions = h.sink.decisions('a');
  const reasons = new Set(decisions.flatMap((d) => d.reasons.filter((r) => BURST_REASONS.includes(r))));
  return { reasons, sink: h.sink, endMs: clock.now(), last: decisions.at(-1)! };
}

describe('the burst history survives a restart (issue 18)', () => {
  it("a restarted daemon keeps a bursty model's burst rules from the checkpoint; one restored without the burst history has to learn them again", async () => {
    const file = join(dir, 'restart', 'checkpoint.json');
    const first = await run(new FileCheckpointStore(file), T0, 8 * PERIOD_S);
    // it learnt the bursts: the rules hold replicas through the gaps and pre-warm before the next burst
    expect(first.reasons).toContain('KeepWarmForBurst');
    expect(first.reasons).toContain('PreWarmForBurst');
    const saved = (await new FileCheckpointStore(file).load())!;
    expect(saved.models.a!.bursts!.v).toBe(1);
    expect(saved.models.a!.bursts!.peaksPerS.length).toBeGreaterThanOrEqual(6);

    // the same checkpoint as written (single v1 document) before the burst history was kept: steps and lead times only
    const oldFile = join(dir, 'restart', 'checkpoint-without-bursts.json');
    const { bursts: _dropped, ...withoutBursts } = saved.models.a!;
    writeFileSync(oldFile, JSON.stringify({ ...saved, v: 1, models: { a: withoutBursts } }));

    // restart 5 s later; two bursts' worth of ticks (fewer than the 6 bursts the rules need to be learnt afresh)
    const restartMs = first.endMs + 5000;
    const replicas = first.last.to;
    const restored = await run(new FileCheckpointStore(file), restartMs, 2 * PERIOD_S, replicas);
    const without = await run(new FileCheckpointStore(oldFile), restartMs, 2 * PERIOD_S, replicas);

    const restoredRecord = restored.sink.of('daemon').find((r) => r.event === 'restored')!;
    expect(restoredRecord.detail).toMatchObject({ models: 1, bursts: saved.models.a!.bursts!.peaksPerS.length });
    expect(restored.reasons).toContain('KeepWarmForBurst');
    expect(without.sink.of('daemon').find((r) => r.event === 'restored')!.detail).toMatchObject({ bursts: 0 });
    expect([...without.reasons]).toEqual([]); // two bursts seen: the rules wait for six
  });

  it('a corrupt burst history is dropped with a warning naming the model and the field; the rest of the checkpoint is restored', async () => {
    const file = join(dir, 'corrupt', 'checkpoint.json');
    const first = await run(new FileCheckpointStore(file), T0, 3 * PERIOD_S);
    const saved = (await new FileCheckpointStore(file).load())!;
    // written back as a v1 single document (the upgrade path reads it) with one bad field
    const bursts = { ...saved.models.a!.bursts!, gapsS: ['soon', ...saved.models.a!.bursts!.gapsS.slice(1)] };
    writeFileSync(file, JSON.stringify({ ...saved, v: 1, models: { a: { ...saved.models.a, bursts } } }));
    const next = await run(new FileCheckpointStore(file), first.endMs + 5000, 3);
    const warning = next.sink.of('daemon').find((r) => r.event === 'checkpoint-bursts-dropped')!;
    expect(warning).toMatchObject({ model: 'a', detail: { field: 'gapsS[0]' } });
    expect(warning.message).toContain('gapsS[0]');
    expect(warning.error?.code).toBe('E_BURST_HISTORY');
    const restored = next.sink.of('daemon').find((r) => r.event === 'restored')!;
    expect(restored.detail).toMatchObject({ models: 1, bursts: 0 });
    expect((restored.detail as { steps: number }).steps).toBeGreaterThan(0);
    expect(next.sink.decisions('a')).toHaveLength(3); // it plans on
  });

  it("a follower that could not read the checkpoint at its start takes the last leader's burst history when it takes over", async () => {
    const file = join(dir, 'takeover', 'checkpoint.json');
    const leader = await run(new FileCheckpointStore(file), T0, 8 * PERIOD_S);
    const written = readFileSync(file, 'utf8');
    const saved = (await new FileCheckpointStore(file).load())!.models.a!.bursts!;
    writeFileSync(file, '{"v":1,'); // what the follower finds at its start: a checkpoint it cannot read

    const clock = new ManualClock(leader.endMs + 1000);
    const election = new SwitchLeader();
    const follower = harness({
      clock,
      config: BURSTY,
      provider: new StagedProvider({ a: leader.last.to }, () => clock.now(), STAGES),
      perSecond: perSecondFrom(clock, bursty),
      leadership: election,
      deps: { history: undefined, checkpoint: new FileCheckpointStore(file) },
    });
    await follower.daemon.start();
    for (let i = 0; i < 10; i++) await follower.step(i === 0 ? 0 : 1000);
    expect(follower.sink.of('error').map((r) => r.event)).toContain('checkpoint-failed');
    expect(follower.sink.decisions('a').every((d) => d.acted !== 'enqueued')).toBe(true);

    writeFileSync(file, written); // the last leader's last checkpoint
    election.leading = true;
    for (let i = 0; i < PERIOD_S; i++) await follower.step(1000);
    await follower.daemon.stop();
    const adopted = follower.sink.of('daemon').find((r) => r.event === 'bursts-adopted')!;
    expect(adopted.detail).toMatchObject({ bursts: { a: saved.peaksPerS.length } });
    const led = follower.sink.decisions('a').filter((d) => d.leader);
    expect(led.length).toBeGreaterThan(0);
    expect(led.flatMap((d) => d.reasons)).toContain('KeepWarmForBurst');
  });

  it('a reload that changes the bursty model keeps its burst history (the restarted loop goes on with it)', async () => {
    const clock = new ManualClock(T0);
    const h = harness({
      clock,
      config: BURSTY,
      provider: new StagedProvider({ a: 1 }, () => clock.now(), STAGES),
      perSecond: perSecondFrom(clock, bursty),
      deps: { history: undefined },
    });
    await h.daemon.start();
    for (let i = 0; i < 8 * PERIOD_S; i++) await h.step(i === 0 ? 0 : 1000);
    await h.daemon.reload(config(BURSTY_YAML.replace('maxReplicas: 20', 'maxReplicas: 19')));
    const reloadedAt = h.sink.decisions('a').length;
    for (let i = 0; i < 2 * PERIOD_S; i++) await h.step(1000);
    await h.daemon.stop();
    expect(h.sink.of('config').find((r) => r.event === 'reloaded')!.detail).toMatchObject({ changed: ['a'] });
    const after = h.sink.decisions('a').slice(reloadedAt);
    expect(after.flatMap((d) => d.reasons)).toContain('KeepWarmForBurst');
  });
});
