import type { ScaleJob } from '@warmpool/domain';
import { describe, expect, it } from 'vitest';
import { InProcessScaleQueue, JobDeferredError, ManualClock, type ScaleJobEvent } from '../src/index.js';
import { scaleQueueConformance } from './support/scale-queue-conformance.js';

function job(id: string, runAtMs: number): ScaleJob {
  return { id, runAtMs, request: { model: 'm', replicas: 1, idempotencyKey: id, reason: 'ScaleAhead', message: '' } };
}

describe('InProcessScaleQueue conformance (manual clock)', () => {
  scaleQueueConformance(() => {
    const clock = new ManualClock(1_700_000_000_000);
    return {
      create: async (o) => new InProcessScaleQueue({ clock, ...o }),
      now: () => clock.now(),
      pass: (ms) => clock.advanceBy(ms),
      unitMs: 60_000,
      stepMs: 1000,
      patienceMs: 3_600_000,
      cleanup: async () => undefined,
    };
  });
});

describe('InProcessScaleQueue', () => {
  it('starts a delayed job exactly at runAtMs on the injected clock', async () => {
    const clock = new ManualClock(1000);
    const q = new InProcessScaleQueue({ clock });
    const starts: number[] = [];
    q.process(async () => void starts.push(clock.now()));
    await q.enqueue(job('j', 5000));
    await clock.advanceTo(4999);
    expect(starts).toEqual([]);
    await clock.advanceTo(5000);
    expect(starts).toEqual([5000]);
    await q.close();
  });

  it('a paused worker runs nothing until resumed; a deferred job comes back later without using an attempt', async () => {
    const clock = new ManualClock(0);
    const q = new InProcessScaleQueue({ clock, attempts: 1 });
    const events: ScaleJobEvent[] = [];
    q.subscribe((e) => events.push(e));
    const runs: number[] = [];
    let defer = 2;
    q.process(
      async () => {
        runs.push(clock.now());
        if (defer-- > 0) throw new JobDeferredError('not the leader', 1000);
      },
      { paused: true },
    );
    expect(q.processing).toBe(false);
    await q.enqueue(job('j', 0));
    await clock.advanceBy(5000);
    expect(runs).toEqual([]);
    q.resume();
    await clock.advanceBy(0);
    await clock.advanceBy(1000);
    await clock.advanceBy(1000);
    // attempts: 1, deferred twice, then it ran and completed
    expect(runs).toEqual([5000, 6000, 7000]);
    expect(events.map((e) => e.type)).toEqual(['completed']);
    await q.close();
  });

  it('holds jobs until process() is called', async () => {
    const clock = new ManualClock(0);
    const q = new InProcessScaleQueue({ clock });
    await q.enqueue(job('early', 0));
    await clock.advanceBy(10_000);
    expect(q.pendingCount).toBe(1);
    const ran: string[] = [];
    q.process(async (j) => void ran.push(j.id));
    await clock.advanceBy(0);
    expect(ran).toEqual(['early']);
    expect(q.pendingCount).toBe(0);
    await q.close();
  });

  it('forgets finished ids after retentionMs, so the id can run again', async () => {
    const clock = new ManualClock(0);
    const q = new InProcessScaleQueue({ clock, retentionMs: 60_000 });
    const ran: number[] = [];
    q.process(async () => void ran.push(clock.now()));
    await q.enqueue(job('k', 0));
    await clock.advanceBy(59_999);
    expect(await q.enqueue(job('k', clock.now()))).toMatchObject({ deduplicated: true });
    await clock.advanceBy(1);
    expect(await q.enqueue(job('k', clock.now()))).toMatchObject({ deduplicated: false });
    await clock.advanceBy(0);
    expect(ran).toEqual([0, 60_000]);
    await q.close();
  });

  it('close drops waiting jobs and their timers', async () => {
    const clock = new ManualClock(0);
    const q = new InProcessScaleQueue({ clock });
    const ran: string[] = [];
    q.process(async (j) => void ran.push(j.id));
    await q.enqueue(job('later', 10_000));
    expect(clock.pendingTimers).toBe(1);
    await q.close();
    expect(clock.pendingTimers).toBe(0);
    await clock.advanceBy(20_000);
    expect(ran).toEqual([]);
  });

  it('a listener that throws does not break the queue and is reported to the others', async () => {
    const clock = new ManualClock(0);
    const q = new InProcessScaleQueue({ clock });
    const seen: ScaleJobEvent[] = [];
    q.subscribe(() => {
      throw new Error('bad logger');
    });
    q.subscribe((e) => seen.push(e));
    q.process(async () => undefined);
    await q.enqueue(job('a', 0));
    await q.enqueue(job('b', 0));
    await clock.advanceBy(0);
    expect(seen.filter((e) => e.type === 'completed').length).toBe(2);
    expect(seen.find((e) => e.type === 'error')).toMatchObject({
      error: { message: expect.stringContaining('bad logger') },
    });
    await q.close();
  });

  it('refuses a second handler and bad options, naming them', async () => {
    const q = new InProcessScaleQueue({ clock: new ManualClock(0) });
    q.process(async () => undefined);
    expect(() => q.process(async () => undefined)).toThrow(expect.objectContaining({ code: 'E_QUEUE_HANDLER_SET' }));
    await q.close();
    expect(() => new InProcessScaleQueue({ attempts: 0, backoffBaseMs: -1 })).toThrow(
      /attempts: got 0.*\n.*backoffBaseMs: got -1/s,
    );
    expect(() => new InProcessScaleQueue({ retentionMs: Number.NaN })).toThrow(/retentionMs/);
  });

  it('wraps a non-Error throw and keeps the job id in the failure', async () => {
    const clock = new ManualClock(0);
    const q = new InProcessScaleQueue({ clock, attempts: 1 });
    const seen: ScaleJobEvent[] = [];
    q.subscribe((e) => seen.push(e));
    q.process(async () => {
      throw 'plain string';
    });
    await q.enqueue(job('s', 0));
    await clock.advanceBy(0);
    expect(seen).toMatchObject([{ type: 'failed', jobId: 's', attempt: 1, error: { message: 'plain string' } }]);
    await q.close();
  });
});
