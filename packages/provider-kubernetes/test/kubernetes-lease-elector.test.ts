import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MICRO_TIME_PATTERN, type FakeKubeApiServer, type JsonObject } from '@warmpool/testing/kubernetes';
import {
  KubernetesLeaseElector,
  type ElectorTimers,
  type KubernetesLeaseElectorOptions,
} from '../src/kubernetes-lease-elector.js';
import { kubeConfigFor, recordingRetryEnv, startFake } from './helpers.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');

/** Timers a test fires by hand. */
class ManualTimers implements ElectorTimers {
  readonly queue: { fn: () => void; ms: number; id: number }[] = [];
  private next = 0;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.next;
    this.queue.push({ fn, ms, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    const i = this.queue.findIndex((t) => t.id === handle);
    if (i >= 0) this.queue.splice(i, 1);
  }
  fireNext(): number {
    const t = this.queue.shift();
    if (!t) throw new Error('no timer armed');
    t.fn();
    return t.ms;
  }
}

describe('KubernetesLeaseElector against the fake API server', () => {
  let fake: FakeKubeApiServer;
  let now: number;
  const log: string[] = [];

  function elector(identity: string, extra: Partial<KubernetesLeaseElectorOptions> = {}): KubernetesLeaseElector {
    return new KubernetesLeaseElector({
      kubeConfig: kubeConfigFor(fake),
      namespace: 'warmpool',
      name: 'warmpool-autoscaler',
      identity,
      leaseDurationS: 15,
      renewIntervalS: 5,
      retryIntervalS: 2,
      nowMs: () => now,
      retry: { baseDelayMs: 1, maxAttempts: 2 },
      retryEnv: recordingRetryEnv(),
      onStartedLeading: () => log.push(`${identity}:started`),
      onStoppedLeading: () => log.push(`${identity}:stopped`),
      ...extra,
    });
  }

  function lease(): JsonObject {
    return fake.lease('warmpool-autoscaler', 'warmpool')!;
  }

  function spec(): JsonObject {
    return lease().spec as JsonObject;
  }

  beforeEach(async () => {
    fake = await startFake(() => now);
    now = T0;
    log.length = 0;
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('the first candidate creates the Lease with MicroTime stamps; the second follows', async () => {
    const a = elector('a');
    const b = elector('b');
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(a.isLeader).toBe(true);
    expect(spec()).toMatchObject({ holderIdentity: 'a', leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect(String(spec().renewTime)).toMatch(MICRO_TIME_PATTERN);
    expect(String(spec().renewTime)).toBe('2026-03-01T12:00:00.000000Z');
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect(b.leader).toBe('a');
    expect(log).toEqual(['a:started']);
  });

  it('the holder renews; a follower takes over only after the lease expired on its own clock', async () => {
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    now += 5000;
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(String(spec().renewTime)).toBe('2026-03-01T12:00:05.000000Z');
    now += 1000;
    expect(await b.tryAcquireOrRenew()).toBe(false); // observes the renewed record at t=6 s
    now += 14000; // t=20 s: a stopped renewing at t=5 s, but b has seen the record unchanged only 14 s
    expect(await b.tryAcquireOrRenew()).toBe(false);
    now += 1000; // t=21 s: 15 s since b observed it
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(spec()).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(String(spec().acquireTime)).toBe('2026-03-01T12:00:21.000000Z');
    now += 1000;
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(a.isLeader).toBe(false);
    expect(a.leader).toBe('b');
    expect(log).toEqual(['a:started', 'b:started', 'a:stopped']);
  });

  it('release on shutdown lets a follower take over at once', async () => {
    const a = elector('a');
    const b = elector('b');
    await a.tryAcquireOrRenew();
    expect(await b.tryAcquireOrRenew()).toBe(false);
    await a.stop();
    expect(spec().holderIdentity).toBe('');
    expect(a.isLeader).toBe(false);
    now += 100;
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect(spec()).toMatchObject({ holderIdentity: 'b', leaseTransitions: 1 });
    expect(log).toEqual(['a:started', 'a:stopped', 'b:started']);
  });

  it('two candidates racing for an expired lease: the 409 loser stays follower', async () => {
    const a = elector('a');
    const b = elector('b');
    const c = elector('c');
    await a.tryAcquireOrRenew();
    await b.tryAcquireOrRenew();
    await c.tryAcquireOrRenew();
    now += 16000;
    fake.faults.failNext(1, 409, { match: { method: 'PUT', pathIncludes: '/leases/' } });
    expect(await b.tryAcquireOrRenew()).toBe(false); // lost the race (the write hit a conflict)
    expect(await c.tryAcquireOrRenew()).toBe(true);
    expect(spec().holderIdentity).toBe('c');
  });

  it('a leader that cannot renew within the renew deadline steps down', async () => {
    const errors: unknown[] = [];
    const a = elector('a', { renewDeadlineS: 10, onError: (e) => errors.push(e) });
    await a.tryAcquireOrRenew();
    fake.faults.failNext(100, 500, { match: { pathIncludes: '/leases/' } });
    now += 5000;
    expect(await a.tryAcquireOrRenew()).toBe(true); // still within the deadline
    now += 5000;
    expect(await a.tryAcquireOrRenew()).toBe(false);
    expect(log).toEqual(['a:started', 'a:stopped']);
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ code: 'E_K8S_SERVER', statusCode: 500 });
    expect(a.lastError).toBe(errors[1]);
    fake.faults.clear();
  });

  it('the loop renews every renewIntervalS while leading and retries every retryIntervalS while following', async () => {
    const timersA = new ManualTimers();
    const timersB = new ManualTimers();
    const started: string[] = [];
    const a = elector('a', { timers: timersA, onStartedLeading: () => started.push('a') });
    const b = elector('b', { timers: timersB, onStartedLeading: () => started.push('b') });
    const settle = async (): Promise<void> => {
      for (let i = 0; i < 50 && (timersA.queue.length === 0 || timersB.queue.length === 0); i++)
        await new Promise((r) => setTimeout(r, 5));
    };
    a.start();
    b.start();
    expect(timersA.fireNext()).toBe(0);
    await settle();
    expect(timersB.fireNext()).toBe(0);
    await settle();
    expect(started).toEqual(['a']);
    expect(timersA.queue[0]!.ms).toBe(5000);
    expect(timersB.queue[0]!.ms).toBe(2000);
    await a.stop();
    await b.stop();
    expect(timersA.queue).toHaveLength(0);
    expect(timersB.queue).toHaveLength(0);
  });
});
