// serve --shapes-file / --shapes-redis: a replica starts from the shapes earlier replicas served (warmed before ready)
// and records the shapes it serves back to the store (on shutdown; on an interval while serving). The Redis test runs
// against the real Redis at 127.0.0.1:6379 in CI (CI=true) and is skipped with a visible message elsewhere.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { REDIS_URL, redisTestEnv } from '@warmpool/testing/redis';
import { main } from '../src/main.js';
import { captureIo, waitFor, writeSpecs } from './helpers.js';

const { describeWithRedis, freshPrefix } = redisTestEnv({ suite: 'warmup-agent', keyPrefix: 'wptest:agent' });
const dir = mkdtempSync(join(tmpdir(), 'warmpool-agent-shapes-'));
const specs = writeSpecs(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One request of `seq` tokens over v2 JSON; resolves to the status. */
async function infer(url: string, seq: number, model = 'tiny'): Promise<number> {
  const body = {
    inputs: [
      { name: 'input_ids', shape: [1, seq], datatype: 'INT64', data: Array.from({ length: seq }, (_, i) => i + 1) },
    ],
  };
  const res = await fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Runs serve until it logs `serving`, sends `seqs` requests, stops it; returns its events and exit code. */
async function serveOnce(
  extra: string[],
  seqs: number[],
  name = 'tiny',
): Promise<{ events: Array<Record<string, unknown>>; code: number }> {
  const io = captureIo();
  const done = main(
    [
      'serve',
      '--model',
      'tiny-transformer',
      '--name',
      name,
      '--spec',
      specs.fast,
      '--providers',
      'cpu',
      '--opt-cache',
      join(dir, 'opt'),
      ...extra,
    ],
    io,
    {},
  );
  // Event-driven: serve ends (and `done` settles) if it cannot start, so the wait never outlives a failed start.
  const started = await Promise.race([
    waitFor('serving', () => io.events().find((e) => e['event'] === 'serving') as { url: string } | undefined, 120_000),
    done.then((code) => {
      throw new Error(`serve exited ${code} before serving: ${io.errText()}`);
    }),
  ]);
  for (const seq of seqs) expect(await infer(started.url, seq, name)).toBe(200);
  io.signal('SIGTERM');
  const code = await done;
  return { events: io.events(), code };
}

const warmedLabels = (events: Array<Record<string, unknown>>) => events.find((e) => e['event'] === 'shapes-loaded');

it('--shapes-file: starts from the recorded shapes (warmed) and writes back those plus the shapes it served', {
  timeout: 240_000,
}, async () => {
  const file = join(dir, 'shapes.json');
  writeFileSync(file, JSON.stringify({ shapes: [{ dims: { input_ids: [1, 24] }, count: 5 }], untracked: 0 }));
  const first = await serveOnce(['--shapes-file', file], [5, 5, 7]);
  expect(first.code).toBe(0);
  expect(warmedLabels(first.events)).toMatchObject({ shapes: 1 });
  const finished = first.events.find((e) => e['event'] === 'warmup-finished');
  expect(finished).toBeDefined();
  const saved = JSON.parse(readFileSync(file, 'utf8')) as {
    shapes: Array<{ dims: Record<string, number[]>; count: number }>;
  };
  // What was loaded plus what was served; warm passes and the server's own warm requests are not recorded.
  expect(saved.shapes).toEqual([
    { dims: { input_ids: [1, 24] }, count: 5 },
    { dims: { input_ids: [1, 5] }, count: 2 },
    { dims: { input_ids: [1, 7] }, count: 1 },
  ]);
  // The next replica warms all three.
  const second = await serveOnce(['--shapes-file', file], []);
  expect(warmedLabels(second.events)).toMatchObject({ shapes: 3 });
});

it('--shapes-file and --shapes-redis together are refused (exit 2), naming both', async () => {
  const io = captureIo();
  expect(
    await main(
      ['serve', '--model', 'tiny-transformer', '--shapes-file', join(dir, 'x.json'), '--shapes-redis', REDIS_URL],
      io,
      {},
    ),
  ).toBe(2);
  expect(io.errText()).toContain('--shapes-redis');
});

it('an unreadable shapes file is logged and warm-up goes on with the spec shapes', { timeout: 240_000 }, async () => {
  const file = join(dir, 'corrupt.json');
  writeFileSync(file, '{ not json');
  const run = await serveOnce(['--shapes-file', file], [6]);
  expect(run.code).toBe(0);
  expect(run.events.find((e) => e['event'] === 'shapes-load-failed')).toBeDefined();
  expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ shapes: [{ dims: { input_ids: [1, 6] }, count: 1 }] });
});

describeWithRedis('--shapes-redis', () => {
  it('records served shapes in the model hash and a later replica loads them', { timeout: 240_000 }, async () => {
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    const prefix = freshPrefix('shapes');
    // The store's key is warmpool:shapes:{model}; the test's model name is unique so runs never share a hash.
    const model = prefix
      .replace(/[^a-z0-9]/gi, '')
      .toLowerCase()
      .slice(-12);
    const key = `warmpool:shapes:t${model}`;
    try {
      const first = await serveOnce(['--shapes-redis', REDIS_URL], [9], `t${model}`);
      expect(first.code).toBe(0);
      expect(first.events.find((e) => e['event'] === 'shapes-loaded')).toMatchObject({ shapes: 0 });
      expect(await redis.hgetall(key)).toEqual({ '{"input_ids":[1,9]}': '1' });
      const again = await serveOnce(['--shapes-redis', REDIS_URL], [], `t${model}`);
      expect(again.events.find((e) => e['event'] === 'shapes-loaded')).toMatchObject({ shapes: 1 });
    } finally {
      await redis.del(key);
      redis.disconnect();
    }
  });
});
