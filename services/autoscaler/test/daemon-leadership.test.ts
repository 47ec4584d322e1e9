import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { FunctionHistory, T0, harness, perSecondFrom } from './support/daemon-harness.js';
import { SwitchLeader, rate } from './support/daemon-scenario.js';
import { StagedProvider } from './support/staged-provider.js';

// the 14-day backfill takes ~0.5 s; leave room on a loaded machine
vi.setConfig({ testTimeout: 20_000 });

describe('Daemon leadership: only the leader acts; dry run and standby decide and log', () => {
  it('--dry-run decides and logs but never enqueues or scales', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c.now());
    const leader = new SwitchLeader();
    leader.leading = true;
    const h = harness({
      clock: c,
      provider,
      history: new FunctionHistory(() => 5),
      perSecond: perSecondFrom(c, rate),
      dryRun: true,
      leadership: leader,
    });
    await h.daemon.start();
    for (let i = 0; i <= 30; i++) await h.step(i === 0 ? 0 : 1000);
    expect(leader.started).toBe(0); // a dry-run daemon never holds the Lease/lock a real one needs
    expect(h.sink.of('leader')[0]!.message).toMatch(/dry run: not campaigning/);
    const ups = h.sink.decisions('a').filter((d) => d.action === 'scale-up');
    expect(ups.length).toBeGreaterThan(0);
    expect(ups.every((d) => d.acted === 'dry-run' && d.dryRun && d.jobId === undefined)).toBe(true);
    expect(provider.scaleCalls).toEqual([]);
    expect(h.queue.pendingCount).toBe(0);
    await h.daemon.stop();
    expect(leader.stopped).toBe(0);
  });

  it('a standby daemon decides and logs `standby`; once it leads it acts', async () => {
    const c = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c.now());
    const leader = new SwitchLeader();
    const h = harness({
      clock: c,
      provider,
      history: new FunctionHistory(() => 5),
      perSecond: perSecondFrom(c, rate),
      leadership: leader,
    });
    await h.daemon.start();
    expect(leader.started).toBe(1);
    for (let i = 0; i <= 25; i++) await h.step(i === 0 ? 0 : 1000);
    const standby = h.sink.decisions('a').filter((d) => d.action === 'scale-up');
    expect(standby.length).toBeGreaterThan(0);
    expect(standby.every((d) => d.acted === 'standby' && !d.leader)).toBe(true);
    expect(provider.scaleCalls).toEqual([]);
    leader.leading = true;
    await h.step(1000);
    expect(h.sink.of('leader').map((r) => r.event)).toEqual(['standby', 'leading']);
    expect(h.sink.decisions('a').at(-1)!.acted).toBe('enqueued');
    expect(provider.applied).toHaveLength(1);
    await h.daemon.stop();
    expect(leader.stopped).toBe(1);
  });
});
