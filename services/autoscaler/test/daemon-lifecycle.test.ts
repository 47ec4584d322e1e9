import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { BASE_YAML, FunctionHistory, T0, config, harness, perSecondFrom } from './support/daemon-harness.js';
import { SwitchLeader, rate } from './support/daemon-scenario.js';
import { StagedProvider } from './support/staged-provider.js';

// the 14-day backfill takes ~0.5 s; leave room on a loaded machine
vi.setConfig({ testTimeout: 20_000 });

describe('Daemon lifecycle: reload, stop, first tick', () => {
  it('reload: new models start, removed ones stop, a rejected config is reported with every issue and the last good one keeps running', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1, c: 1 }, () => c.now());
    const h = harness({ clock: c, provider, history: new FunctionHistory(() => 5), perSecond: perSecondFrom(c, rate) });
    await h.daemon.start();
    await h.step(0);
    const next = config(
      BASE_YAML.replace(
        '  - name: b\n    capacityPerReplicaPerS: 5',
        '  - name: c\n    capacityPerReplicaPerS: 5',
      ).replace('b.onnx', 'c.onnx'),
    );
    await h.daemon.reload(next);
    await h.step(1000);
    const reloaded = h.sink.of('config').find((r) => r.event === 'reloaded')!;
    expect(reloaded.detail).toMatchObject({ added: ['c'], removed: ['b'], changed: [] });
    expect(reloaded.detail!.restartNeeded).toEqual(['provider']); // a new target: the provider must be rebuilt
    h.daemon.rejectConfig(
      '/tmp/warmpool-test.yaml',
      (() => {
        try {
          config('tickS: -1\nmodels: []\n');
        } catch (e) {
          return e;
        }
        return undefined;
      })(),
    );
    await h.step(1000);
    const rejected = h.sink.of('config').find((r) => r.event === 'rejected')!;
    expect(rejected.issues).toEqual([
      expect.stringMatching(/^tickS \(line 1\): got -1/),
      expect.stringMatching(/^models \(line 2\): got \[\]/),
    ]);
    expect(rejected.message).toMatch(/still running the last good config/);
    const lastTick = h.sink
      .decisions()
      .slice(-2)
      .map((d) => d.model)
      .sort();
    expect(lastTick).toEqual(['a', 'c']);
    await h.daemon.stop();
  });

  it('stop finishes the tick, closes the queue and the provider, gives up leadership and logs it', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c.now());
    const leader = new SwitchLeader();
    leader.leading = true;
    const h = harness({
      clock: c,
      provider,
      history: new FunctionHistory(() => 5),
      perSecond: perSecondFrom(c, rate),
      leadership: leader,
    });
    await h.daemon.start();
    await c.advanceBy(0); // a tick is now in flight
    await h.daemon.stop('SIGTERM');
    expect(h.daemon.ticks).toBe(1);
    expect(provider.closed).toBe(true);
    expect(leader.stopped).toBe(1);
    await expect(
      h.queue.enqueue({
        id: 'x',
        runAtMs: 0,
        request: { model: 'a', replicas: 1, idempotencyKey: 'x', reason: 'r', message: 'm' },
      }),
    ).rejects.toMatchObject({ code: 'E_QUEUE_CLOSED' });
    expect(
      h.sink
        .of('daemon')
        .map((r) => r.event)
        .filter((e) => e !== 'backfilled'),
    ).toEqual(['started', 'stopping', 'stopped']);
    expect(c.pendingTimers).toBe(0);
    await c.advanceBy(10_000);
    expect(h.daemon.ticks).toBe(1);
  });

  it('firstTick resolves once the first tick has decided every model, not before; and on a stop before any tick', async () => {
    const c = new ManualClock(T0);
    const h = harness({
      clock: c,
      provider: new StagedProvider({ a: 1, b: 1 }, () => c.now()),
      history: new FunctionHistory(() => 5),
      perSecond: perSecondFrom(c, rate),
    });
    let resolved = false;
    void h.daemon.firstTick.then(() => (resolved = true));
    await h.daemon.start();
    await Promise.resolve();
    expect(resolved).toBe(false); // started, the tick only scheduled
    await h.step(0);
    await h.daemon.firstTick;
    expect(h.daemon.ticks).toBe(1);
    expect(
      h.sink
        .decisions()
        .map((d) => d.model)
        .sort(),
    ).toEqual(['a', 'b']);
    await h.daemon.stop();

    const c2 = new ManualClock(T0);
    const never = harness({
      clock: c2,
      provider: new StagedProvider({ a: 1, b: 1 }, () => c2.now()),
      history: new FunctionHistory(() => 5),
      perSecond: perSecondFrom(c2, rate),
    });
    await never.daemon.start();
    await never.daemon.stop('SIGTERM');
    await never.daemon.firstTick; // does not hang
    expect(never.daemon.ticks).toBe(0);
  });
});
