import type { ScaleJob } from '@warmpool/domain';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { ObservableScaleQueue, ScaleJobEvent } from '../../src/index.js';

/** How the conformance suite drives one queue implementation. */
export interface ScaleQueueHarness {
  /** A fresh queue (fresh name/prefix for durable ones) with this retry policy. */
  create(options: { attempts: number; backoffBaseMs: number; random?: () => number }): Promise<ObservableScaleQueue>;
  /** The clock the queue schedules by (epoch ms). */
  now(): number;
  /** Lets `ms` of that clock pass (fake: advance; real: sleep). */
  pass(ms: number): Promise<void>;
  /** A delay long enough to tell "later" from "now" on this clock. */
  readonly unitMs: number;
  /** Step and bound for waiting on something to happen. */
  readonly stepMs: number;
  readonly patienceMs: number;
  /** Frees what one test used (keys, connections). */
  cleanup(): Promise<void>;
}

interface Recorder {
  readonly starts: { id: string; atMs: number }[];
  readonly events: ScaleJobEvent[];
}

function job(id: string, runAtMs: number, replicas = 2): ScaleJob {
  return {
    id,
    runAtMs,
    request: { model: 'llama', replicas, idempotencyKey: `key-${id}`, reason: 'ScaleAhead', message: `job ${id}` },
  };
}

/** Registers the scale-queue conformance tests (call inside a `describe`). */
export function scaleQueueConformance(makeHarness: () => ScaleQueueHarness): void {
  let h: ScaleQueueHarness;
  const queues: ObservableScaleQueue[] = [];

  beforeEach(() => {
    h = makeHarness();
  });
  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
    await h.cleanup();
  });

  async function open(
    options: { attempts: number; backoffBaseMs: number; random?: () => number } = {
      attempts: 1,
      backoffBaseMs: h.unitMs,
    },
  ): Promise<{ q: ObservableScaleQueue; rec: Recorder }> {
    const q = await h.create(options);
    queues.push(q);
    const rec: Recorder = { starts: [], events: [] };
    q.subscribe((e) => rec.events.push(e));
    return { q, rec };
  }

  async function until(cond: () => boolean, what: string): Promise<void> {
    for (let waited = 0; !cond(); waited += h.stepMs) {
      if (waited > h.patienceMs) throw new Error(`timed out waiting for ${what}`);
      await h.pass(h.stepMs);
    }
  }

  const finished = (rec: Recorder, type: 'completed' | 'failed'): string[] =>
    rec.events.flatMap((e) => (e.type === type ? [e.type === 'completed' ? e.job.id : e.jobId] : []));

  it('runs a due job once and reports it completed', async () => {
    const { q, rec } = await open();
    q.process(async (j) => void rec.starts.push({ id: j.id, atMs: h.now() }));
    const res = await q.enqueue(job('a', h.now()));
    expect(res).toEqual({ id: 'a', deduplicated: false });
    await until(() => finished(rec, 'completed').length === 1, 'a to complete');
    expect(rec.starts.map((s) => s.id)).toEqual(['a']);
    const done = rec.events.find((e) => e.type === 'completed');
    expect(done).toMatchObject({
      type: 'completed',
      attempt: 1,
      job: { id: 'a', request: { model: 'llama', replicas: 2 } },
    });
  });

  it('does not start a job before runAtMs, and runs due jobs first', async () => {
    const { q, rec } = await open();
    q.process(async (j) => void rec.starts.push({ id: j.id, atMs: h.now() }));
    const t0 = h.now();
    const late = job('late', t0 + 2 * h.unitMs);
    await q.enqueue(late);
    await q.enqueue(job('due', t0));
    await until(() => finished(rec, 'completed').length === 2, 'both jobs to complete');
    expect(rec.starts.map((s) => s.id)).toEqual(['due', 'late']);
    expect(rec.starts[1]!.atMs).toBeGreaterThanOrEqual(late.runAtMs);
  });

  it('runs delayed jobs in runAtMs order, ties in enqueue order', async () => {
    const { q, rec } = await open();
    const t0 = h.now();
    await q.enqueue(job('c', t0 + 3 * h.unitMs));
    await q.enqueue(job('a', t0 + 2 * h.unitMs));
    await q.enqueue(job('b', t0 + 2 * h.unitMs));
    q.process(async (j) => void rec.starts.push({ id: j.id, atMs: h.now() }));
    await until(() => finished(rec, 'completed').length === 3, 'three jobs to complete');
    expect(rec.starts.map((s) => s.id)).toEqual(['a', 'b', 'c']);
  });

  it('deduplicates by id: while waiting and after completion the job runs once', async () => {
    const { q, rec } = await open();
    const t0 = h.now();
    expect(await q.enqueue(job('x', t0 + h.unitMs))).toEqual({ id: 'x', deduplicated: false });
    expect(await q.enqueue(job('x', t0 + h.unitMs, 7))).toEqual({ id: 'x', deduplicated: true });
    q.process(async (j) => void rec.starts.push({ id: `${j.id}:${j.request.replicas}`, atMs: h.now() }));
    await until(() => finished(rec, 'completed').length === 1, 'x to complete');
    expect(await q.enqueue(job('x', h.now()))).toEqual({ id: 'x', deduplicated: true });
    await q.enqueue(job('y', h.now()));
    await until(() => finished(rec, 'completed').length === 2, 'y to complete');
    expect(rec.starts.map((s) => s.id)).toEqual(['x:2', 'y:2']);
  });

  it('retries a failing handler with exponential backoff, then succeeds', async () => {
    const base = h.unitMs;
    const { q, rec } = await open({ attempts: 4, backoffBaseMs: base, random: () => 1 }); // jitter at its top: the whole cap
    let calls = 0;
    q.process(async (j) => {
      rec.starts.push({ id: j.id, atMs: h.now() });
      if (++calls < 3) throw new Error(`provider said no (${calls})`);
    });
    await q.enqueue(job('r', h.now()));
    await until(() => finished(rec, 'completed').length === 1, 'r to complete after retries');
    expect(calls).toBe(3);
    const retries = rec.events.filter((e) => e.type === 'retrying');
    expect(retries.map((e) => e.type === 'retrying' && [e.attempt, e.retryInMs, e.error.message])).toEqual([
      [1, base, 'provider said no (1)'],
      [2, 2 * base, 'provider said no (2)'],
    ]);
    expect(rec.events.at(-1)).toMatchObject({ type: 'completed', attempt: 3 });
    const gaps = rec.starts.slice(1).map((s, i) => s.atMs - rec.starts[i]!.atMs);
    expect(gaps[0]).toBeGreaterThanOrEqual(base - 5);
    expect(gaps[1]).toBeGreaterThanOrEqual(2 * base - 5);
  });

  it('jitters each wait (full jitter) and reports the wait it used', async () => {
    const base = 4 * h.unitMs;
    const { q, rec } = await open({ attempts: 3, backoffBaseMs: base, random: () => 0.5 });
    let calls = 0;
    q.process(async (j) => {
      rec.starts.push({ id: j.id, atMs: h.now() });
      if (++calls < 3) throw new Error(`no (${calls})`);
    });
    await q.enqueue(job('j', h.now()));
    await until(() => finished(rec, 'completed').length === 1, 'j to complete after retries');
    const waits = rec.events.flatMap((e) => (e.type === 'retrying' ? [e.retryInMs] : []));
    expect(waits).toEqual([Math.floor(base / 2), base]);
    const gaps = rec.starts.slice(1).map((s, i) => s.atMs - rec.starts[i]!.atMs);
    expect(gaps[0]).toBeGreaterThanOrEqual(waits[0]! - 5);
    expect(gaps[1]).toBeGreaterThanOrEqual(waits[1]! - 5);
  });

  it('reports failure when retries are exhausted, and runs the job no more', async () => {
    const { q, rec } = await open({ attempts: 2, backoffBaseMs: h.unitMs });
    let calls = 0;
    q.process(async () => {
      calls++;
      throw new Error('capacity quota exceeded');
    });
    await q.enqueue(job('f', h.now()));
    await until(() => finished(rec, 'failed').length === 1, 'f to fail');
    const failed = rec.events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({ type: 'failed', jobId: 'f', attempt: 2, job: { id: 'f' } });
    expect(failed?.type === 'failed' && failed.error.message).toBe('capacity quota exceeded');
    await h.pass(4 * h.unitMs);
    expect(calls).toBe(2);
    expect(await q.enqueue(job('f', h.now()))).toEqual({ id: 'f', deduplicated: true });
  });

  it('fails at once, without retries, when the handler error says retryable: false', async () => {
    const { q, rec } = await open({ attempts: 5, backoffBaseMs: h.unitMs });
    class QuotaError extends Error {
      readonly retryable = false;
      readonly code = 'E_QUOTA';
    }
    let calls = 0;
    q.process(async () => {
      calls++;
      throw new QuotaError('403 quota');
    });
    await q.enqueue(job('nr', h.now()));
    await until(() => finished(rec, 'failed').length === 1, 'nr to fail');
    expect(calls).toBe(1);
    const failed = rec.events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({ attempt: 1, error: { code: 'E_QUOTA', message: '403 quota' } });
    expect(failed?.type === 'failed' && failed.error).toBeInstanceOf(QuotaError);
    expect(rec.events.filter((e) => e.type === 'retrying')).toEqual([]);
  });

  it('close waits for the running job, then refuses new jobs', async () => {
    const { q, rec } = await open();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let finishedRun = false;
    q.process(async (j) => {
      rec.starts.push({ id: j.id, atMs: h.now() });
      await gate;
      finishedRun = true;
    });
    await q.enqueue(job('slow', h.now()));
    await until(() => rec.starts.length === 1, 'slow to start');
    let closed = false;
    const closing = q.close().then(() => (closed = true));
    await h.pass(h.stepMs);
    expect(closed).toBe(false);
    release();
    await closing;
    expect(finishedRun).toBe(true);
    await expect(q.enqueue(job('after', h.now()))).rejects.toMatchObject({ code: 'E_QUEUE_CLOSED' });
  });

  it('rejects a malformed job with a ValidationError naming the fields', async () => {
    const { q } = await open();
    const bad = {
      id: '',
      runAtMs: Number.NaN,
      request: { model: 'm', replicas: -1, idempotencyKey: 'k', reason: 'r', message: '' },
    };
    const err = await q.enqueue(bad as ScaleJob).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_VALIDATION' });
    const paths = (err as { issues: { path: string }[] }).issues.map((i) => i.path);
    expect(paths).toEqual(['job.id', 'job.runAtMs', 'job.request.replicas']);
  });
}
