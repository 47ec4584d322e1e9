import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { BASE_YAML, FunctionHistory, T0, config, harness, perSecondFrom } from './support/daemon-harness.js';
import { rate } from './support/daemon-scenario.js';
import { StagedProvider } from './support/staged-provider.js';

// the 14-day backfill takes ~0.5 s; leave room on a loaded machine
vi.setConfig({ testTimeout: 20_000 });

describe('Daemon measures: lead time per stage, scale-up outcomes, fleet warm tiers', () => {
  it('measures the lead time per stage from the replicas (p90 of the last ones) and feeds it to the planner', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c.now(), { provisioning: 4, loading: 6, warming: 3 });
    // demand climbs in three stairs so replicas come up at three different times
    const stairs = (m: string, s: number): number =>
      m === 'a' ? 5 + 20 * Math.min(3, Math.max(0, Math.floor((s - T0 / 1000) / 30))) : 2;
    const h = harness({
      clock: c,
      provider,
      history: new FunctionHistory(() => 5),
      perSecond: perSecondFrom(c, stairs),
    });
    await h.daemon.start();
    for (let i = 0; i <= 130; i++) await h.step(i === 0 ? 0 : 1000);
    const last = h.sink.decisions('a').at(-1)!;
    expect(last.measuredLeadTimeS).toBe(13);
    expect(last.leadTimeStagesS).toEqual({ provisioning: 4, loading: 6, warming: 3 });
    expect(last.leadTimeS).toBe(13); // the planner used the measured one, not the spec's 10 s
    expect(h.sink.decisions('a')[0]!.measuredLeadTimeS).toBeNull();
    await h.daemon.stop();
  });

  it('follows each scale-up to an outcome: late when the demand exceeded the capacity before it while its replicas were starting', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c.now());
    const h = harness({ clock: c, provider, history: new FunctionHistory(() => 5), perSecond: perSecondFrom(c, rate) });
    await h.daemon.start();
    for (let i = 0; i <= 40; i++) await h.step(i === 0 ? 0 : 1000);
    const up = h.sink.decisions('a').find((d) => d.acted === 'enqueued')!;
    const outcome = h.sink.of('outcome').find((o) => o.ref === up.id)!;
    expect(outcome).toMatchObject({
      model: 'a',
      outcome: 'late',
      from: 1,
      to: up.to,
      capacityBeforePerS: 10,
      readyAfterS: 7,
    });
    expect(outcome.observedPeakPerS).toBe(45);
    await h.daemon.stop();
  });

  it('with a GPU budget logs the fleet warm tiers every tick', async () => {
    const c = new ManualClock(T0);
    const yaml = `gpuBudgetBytes: 3000\n${BASE_YAML}`.replace(
      /stepS: 10\n/g,
      'stepS: 10\n    gpuMemoryPerReplicaBytes: 1000\n',
    );
    const h = harness({
      clock: c,
      config: config(yaml),
      provider: new StagedProvider({ a: 1, b: 1 }, () => c.now()),
      history: new FunctionHistory(() => 5),
      perSecond: perSecondFrom(c, rate),
    });
    await h.daemon.start();
    await h.step(0);
    const fleet = h.sink.of('fleet').filter((r) => r.event === 'warm-tiers');
    expect(fleet).toHaveLength(1);
    // each model's first tier is named as a change; the staged provider has no tiers to set
    expect(
      h.sink
        .of('fleet')
        .filter((r) => r.event === 'warm-tier-changed')
        .map((r) => r.model),
    ).toEqual(['a', 'b']);
    expect(fleet[0]!.detail).toMatchObject({ gpuBudgetBytes: 3000 });
    expect((fleet[0]!.detail!.tiers as { model: string }[]).map((t) => t.model)).toEqual(['a', 'b']);
    await h.daemon.stop();
  });
});
