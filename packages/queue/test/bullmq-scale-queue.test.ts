import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ScaleJob } from '@warmpool/domain';
import { Queue } from 'bullmq';
import { afterEach, expect, it } from 'vitest';
import {
  BullMqScaleQueue,
  JobDeferredError,
  RedisUnavailableError,
  redactRedisUrl,
  type BullMqScaleQueueOptions,
  type ScaleJobEvent,
} from '../src/index.js';
import { deleteKeys, describeWithRedis, freshPrefix, REDIS_URL, sleep } from './support/redis-test-env.js';
import { scaleQueueConformance } from './support/scale-queue-conformance.js';
import { TcpProxy } from '@warmpool/testing/net';

function job(id: string, runAtMs: number): ScaleJob {
  return { id, runAtMs, request: { model: 'm', replicas: 3, idempotencyKey: id, reason: 'ScaleAhead', message: 'up' } };
}

async function until(cond: () => boolean, what: string, patienceMs = 8000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describeWithRedis('BullMqScaleQueue conformance (real Redis)', () => {
  scaleQueueConformance(() => {
    const prefix = freshPrefix('conf');
    return {
      create: async (o) => new BullMqScaleQueue({ redisUrl: REDIS_URL, prefix, queueName: 'scale', ...o }),
      now: () => Date.now(),
      pass: sleep,
      unitMs: 150,
      stepMs: 20,
      patienceMs: 8000,
      cleanup: () => deleteKeys(prefix),
    };
  });
});

describeWithRedis('BullMqScaleQueue (real Redis)', () => {
  const opened: BullMqScaleQueue[] = [];
  const prefixes: string[] = [];
  const proxies: TcpProxy[] = [];

  function open(
    prefix: string,
    options: BullMqScaleQueueOptions = {},
  ): { q: BullMqScaleQueue; events: ScaleJobEvent[] } {
    const q = new BullMqScaleQueue({ redisUrl: REDIS_URL, prefix, queueName: 'scale', ...options });
    opened.push(q);
    const events: ScaleJobEvent[] = [];
    q.subscribe((e) => events.push(e));
    return { q, events };
  }

  function prefix(label: string): string {
    const p = freshPrefix(label);
    prefixes.push(p);
    return p;
  }

  afterEach(async () => {
    for (const q of opened.splice(0)) await q.abort();
    for (const p of proxies.splice(0)) await p.stop();
    for (const p of prefixes.splice(0)) await deleteKeys(p);
  });

  it('a worker started paused takes no job until resumed; a deferred job goes back without using an attempt and runs on the leader (finding 3)', async () => {
    const p = prefix('paused');
    const follower = open(p, { attempts: 1 });
    const leader = open(p, { attempts: 1 });
    const ran: string[] = [];
    let followerTried = 0;
    // the follower's worker runs, but its handler refuses (as the daemon's does when it does not lead)
    follower.q.process(async () => {
      followerTried++;
      throw new JobDeferredError('not the leader', 50);
    });
    leader.q.process(async (j) => void ran.push(j.id), { paused: true });
    expect(leader.q.processing).toBe(false);
    await leader.q.enqueue(job('m:paused', Date.now()));
    await until(() => followerTried >= 2, 'the follower to be handed the job and give it back twice');
    expect(ran).toEqual([]);
    await follower.q.pause();
    leader.q.resume();
    await until(() => ran.length === 1, 'the leader to run it');
    // attempts: 1, yet the job was handed back twice and still ran: deferrals do not count
    expect(ran).toEqual(['m:paused']);
    expect(follower.events.filter((e) => e.type === 'failed' || e.type === 'retrying')).toEqual([]);
  });

  it('a restarted daemon enqueueing the same id does not scale twice', async () => {
    const p = prefix('restart');
    const first = open(p);
    const ran: string[] = [];
    first.q.process(async (j) => void ran.push(`first:${j.id}`));
    expect(await first.q.enqueue(job('model-a:1700000000', Date.now()))).toMatchObject({ deduplicated: false });
    await until(() => ran.length === 1, 'first run');
    await first.q.close();

    const second = open(p);
    second.q.process(async (j) => void ran.push(`second:${j.id}`));
    expect(await second.q.enqueue(job('model-a:1700000000', Date.now()))).toEqual({
      id: 'model-a:1700000000',
      deduplicated: true,
    });
    await sleep(300);
    expect(ran).toEqual(['first:model-a:1700000000']);
  });

  it('two daemons enqueueing the same id at once: one creates it, it runs once', async () => {
    const p = prefix('race');
    const a = open(p);
    const b = open(p);
    const ran: string[] = [];
    a.q.process(async (j) => void ran.push(`a:${j.id}`));
    b.q.process(async (j) => void ran.push(`b:${j.id}`));
    const results = await Promise.all([
      a.q.enqueue(job('same', Date.now() + 100)),
      b.q.enqueue(job('same', Date.now() + 100)),
    ]);
    expect(results.map((r) => r.deduplicated).sort()).toEqual([false, true]);
    await until(() => ran.length === 1, 'one run');
    await sleep(300);
    expect(ran).toHaveLength(1);
  });

  it('a job whose worker is killed mid-run is picked up by another worker after the stalled interval', async () => {
    const p = prefix('stall');
    const fast = { lockDurationMs: 400, stalledIntervalMs: 200 };
    const a = open(p, fast);
    let started = false;
    a.q.process(() => {
      started = true;
      return new Promise<void>(() => undefined); // hangs: the worker dies before finishing
    });
    await a.q.enqueue(job('stuck', Date.now()));
    await until(() => started, 'worker A to start the job');
    await a.q.abort(); // like SIGKILL: no lock release, no completion

    const b = open(p, fast);
    const ranOnB: string[] = [];
    b.q.process(async (j) => void ranOnB.push(j.id));
    await until(() => ranOnB.length === 1, 'worker B to recover the job');
    expect(ranOnB).toEqual(['stuck']);
    await until(() => b.events.some((e) => e.type === 'completed'), 'completion on B');
    expect(b.events.filter((e) => e.type === 'stalled')).toEqual([{ type: 'stalled', jobId: 'stuck' }]);
  });

  it('a worker process killed with SIGKILL mid-job: another daemon runs the job after the lock expires', async () => {
    const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    if (!existsSync(dist)) throw new Error(`${dist} missing: build first (npx tsc -b packages/queue)`);
    const p = prefix('sigkill');
    const script = fileURLToPath(new URL('./support/killable-worker.mjs', import.meta.url));
    const child = spawn(process.execPath, [script, REDIS_URL, p, 'scale', '400', '200'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let errOut = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (errOut += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    try {
      await until(() => out.includes('ready') || child.exitCode !== null, 'the child worker to start');
      expect(errOut).toBe('');
      const producer = open(p);
      await producer.q.enqueue(job('scale-up-7', Date.now()));
      await until(() => out.includes('started scale-up-7'), 'the child to start the job');
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');

    const survivor = open(p, { lockDurationMs: 400, stalledIntervalMs: 200 });
    const ran: string[] = [];
    survivor.q.process(async (j) => void ran.push(j.id));
    await until(() => ran.length === 1, 'the survivor to run the job');
    expect(ran).toEqual(['scale-up-7']);
    expect(survivor.events.filter((e) => e.type === 'stalled')).toEqual([{ type: 'stalled', jobId: 'scale-up-7' }]);
  });

  it('enqueue while Redis is away fails fast with a typed error naming the URL; after Redis is back jobs flow again', async () => {
    const target = new URL(REDIS_URL);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    proxies.push(proxy);
    await proxy.start();
    const p = prefix('outage');
    const { q, events } = open(p, {
      redisUrl: proxy.url,
      enqueueTimeoutMs: 1000,
      reconnectMaxDelayMs: 100,
      workerRetryDelayMs: 50,
    });
    const ran: string[] = [];
    q.process(async (j) => void ran.push(j.id));
    await q.enqueue(job('before', Date.now()));
    await until(() => ran.length === 1, 'job before the outage');

    await proxy.stop();
    const err = await q.enqueue(job('during', Date.now())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisUnavailableError);
    expect(err).toMatchObject({ code: 'E_REDIS_UNAVAILABLE', redisUrl: proxy.url });
    expect((err as Error).message).toContain(`Redis at ${proxy.url} unavailable: enqueue scale job during`);
    const errors = events.flatMap((e) => (e.type === 'error' ? [e.error] : []));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toMatchObject({ code: 'E_REDIS_UNAVAILABLE', redisUrl: proxy.url });

    await proxy.start();
    let result: unknown;
    for (let tries = 0; result === undefined; tries++) {
      if (tries > 50) throw new Error('enqueue never succeeded after Redis came back');
      result = await q.enqueue(job('during', Date.now())).catch(() => undefined);
      if (result === undefined) await sleep(100);
    }
    await until(() => ran.includes('during'), 'job enqueued after the outage to run', 10_000);
    await sleep(200);
    expect(ran).toEqual(['before', 'during']);
  }, 20_000);

  it('with Redis down from the start, enqueue and close are bounded and enqueue names the URL', async () => {
    const proxy = new TcpProxy('127.0.0.1', 1);
    await proxy.start();
    const url = proxy.url;
    await proxy.stop(); // nothing listens on this port now
    const { q, events } = open(prefix('down'), {
      redisUrl: url,
      enqueueTimeoutMs: 300,
      closeTimeoutMs: 300,
      reconnectMaxDelayMs: 100,
    });
    q.process(async () => undefined);
    const err = await q.enqueue(job('never', Date.now())).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_REDIS_UNAVAILABLE', redisUrl: url });
    expect((err as Error).message).toMatch(
      /enqueue scale job never on queue scale: (no answer within 300 ms|.*ECONNREFUSED)/,
    );
    expect(events.some((e) => e.type === 'error' && /ECONNREFUSED/.test(e.error.message))).toBe(true);
    await q.close();
  });

  it('fails a job whose stored data is not a scale job, without retrying or calling the handler', async () => {
    const p = prefix('junk');
    const raw = new Queue('scale', { connection: { url: REDIS_URL }, prefix: p });
    await raw.add('scale', { hello: 'world' }, { jobId: 'junk-1', attempts: 3 });
    await raw.close();
    const { q, events } = open(p);
    const ran: string[] = [];
    q.process(async (j) => void ran.push(j.id));
    await until(() => events.some((e) => e.type === 'failed'), 'the junk job to fail');
    const failed = events.find((e) => e.type === 'failed');
    expect(failed).toMatchObject({
      type: 'failed',
      jobId: 'junk-1',
      job: undefined,
      error: { code: 'E_SCALE_JOB_FORMAT' },
    });
    expect(ran).toEqual([]);
  });
});

it('redacts the password of a Redis URL', () => {
  expect(redactRedisUrl('redis://user:s3cret@10.0.0.1:6380/2')).toBe('redis://user:***@10.0.0.1:6380/2');
  expect(redactRedisUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
});
