import { createServer } from 'node:net';
import { ValidationError } from '@warmpool/domain';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HistoryResponseError } from '../src/errors/history-response-error.js';
import { HistoryUnavailableError } from '../src/errors/history-unavailable-error.js';
import { minuteChunkKey, secondChunkKey } from '../src/redis/demand-keys.js';
import { RedisDemandCounter } from '../src/redis/redis-demand-counter.js';
import { RedisHistorySource } from '../src/redis/redis-history-source.js';
import { expectedSteps, sameSteps, syntheticCounts } from './support/demand-fixture.js';
import { REDIS_URL, deleteKeys, describeWithRedis, freshPrefix } from './support/redis-env.js';

const T0 = 1_700_000_000 - (1_700_000_000 % 86_400) + 3600; // an hour into a day, so reads cross chunk keys only where meant

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describeWithRedis('RedisDemandCounter + RedisHistorySource (real Redis)', () => {
  let prefix: string;
  let counter: RedisDemandCounter;
  let reader: RedisHistorySource;
  let raw: Redis;

  beforeEach(() => {
    prefix = freshPrefix('redis');
    counter = new RedisDemandCounter({ redis: REDIS_URL, prefix });
    reader = new RedisHistorySource({ redis: REDIS_URL, prefix });
    raw = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    await counter.close();
    await reader.close();
    await deleteKeys(prefix);
    raw.disconnect();
  });

  const counts = syntheticCounts(3 * 3600); // crosses two hour keys of per-second buckets
  const write = async (model: string, startS: number, values: readonly number[]): Promise<void> => {
    await counter.recordMany(
      model,
      values.map((count, k) => ({ atS: startS + k, count })),
    );
  };

  it('per-minute steps (from minute buckets) match the raw counts; unwritten time is NaN', async () => {
    await write('llama', T0, counts);
    const from = T0 - 600;
    const to = T0 + counts.length + 600;
    for (const stepS of [60, 300, 3600]) {
      const steps = await reader.read('llama', from, to, stepS);
      expect(sameSteps(steps, expectedSteps(counts, T0, from, to, stepS))).toEqual([]);
    }
  });

  it('steps that are not whole minutes come from per-second buckets, also across hour keys', async () => {
    await write('llama', T0, counts);
    for (const [from, stepS] of [
      [T0 + 3590, 1],
      [T0 + 3571, 7],
      [T0 + 30, 60],
    ] as const) {
      const to = from + 40 * stepS;
      expect(
        sameSteps(await reader.read('llama', from, to, stepS), expectedSteps(counts, T0, from, to, stepS)),
      ).toEqual([]);
    }
  });

  it('a heartbeat makes a second read as zero demand, not a gap', async () => {
    await counter.heartbeat('llama', T0 + 60);
    await counter.record('llama', T0 + 185.7, 3);
    const steps = await reader.read('llama', T0, T0 + 240, 60);
    expect(steps.map((s) => s.meanPerS)).toEqual([NaN, 0, NaN, 3 / 60]);
    expect(steps.map((s) => s.peakPerS)).toEqual([NaN, 0, NaN, 3]);
    const seconds = await reader.read('llama', T0 + 59, T0 + 62, 1);
    expect(seconds.map((s) => s.meanPerS)).toEqual([NaN, 0, NaN]);
  });

  it('several writers add up; the minute peak is the highest per-second total', async () => {
    const second = new RedisDemandCounter({ redis: REDIS_URL, prefix });
    try {
      await Promise.all([
        counter.recordMany('llama', [
          { atS: T0 + 1, count: 4 },
          { atS: T0 + 2, count: 1 },
        ]),
        second.recordMany('llama', [
          { atS: T0 + 1, count: 3 },
          { atS: T0 + 2, count: 5 },
        ]),
        ...Array.from({ length: 10 }, () => second.record('llama', T0 + 3)),
      ]);
    } finally {
      await second.close();
    }
    const [minute] = await reader.read('llama', T0, T0 + 60, 60);
    expect(minute!.meanPerS).toBeCloseTo(23 / 60, 12);
    expect(minute!.peakPerS).toBe(10);
    const seconds = await reader.read('llama', T0 + 1, T0 + 4, 1);
    expect(seconds.map((s) => s.meanPerS)).toEqual([7, 6, 10]);
  });

  it('keys follow the documented layout, with a Cluster hash tag and TTLs', async () => {
    const retained = new RedisDemandCounter({
      redis: REDIS_URL,
      prefix,
      secondRetentionS: 7200,
      minuteRetentionS: 172_800,
    });
    try {
      await retained.record('llama', T0 + 61, 2);
    } finally {
      await retained.close();
    }
    const sKey = secondChunkKey(prefix, 'llama', T0);
    const mKey = minuteChunkKey(prefix, 'llama', T0 - 3600);
    expect(sKey).toBe(`${prefix}:{llama}:1s:${T0}`);
    expect(await raw.hgetall(sKey)).toEqual({ [String(T0 + 61)]: '2' });
    expect(await raw.hgetall(mKey)).toEqual({ [String(T0 + 60)]: '2', [`${T0 + 60}:peak`]: '2' });
    const sTtl = await raw.ttl(sKey);
    const mTtl = await raw.ttl(mKey);
    expect(sTtl).toBeGreaterThan(7100);
    expect(sTtl).toBeLessThanOrEqual(7200);
    expect(mTtl).toBeGreaterThan(172_700);
  });

  it('a fromS between seconds counts each bucket in the step holding its start', async () => {
    await write('llama', T0, [1, 2, 3, 4, 5]);
    const steps = await reader.read('llama', T0 + 0.5, T0 + 4.5, 2);
    expect(steps.map((s) => [s.startS, s.meanPerS, s.peakPerS])).toEqual([
      [T0 + 0.5, (2 + 3) / 2, 3],
      [T0 + 2.5, (4 + 5) / 2, 5],
    ]);
  });

  it('models are kept apart', async () => {
    await counter.record('llama', T0, 5);
    await counter.record('mistral', T0, 9);
    expect((await reader.read('llama', T0, T0 + 60, 60))[0]!.meanPerS).toBe(5 / 60);
    expect((await reader.read('mistral', T0, T0 + 60, 60))[0]!.meanPerS).toBe(9 / 60);
  });

  it('a bucket holding garbage → HistoryResponseError naming key and field', async () => {
    const key = minuteChunkKey(prefix, 'llama', T0 - 3600);
    await raw.hset(key, String(T0), 'lots');
    const err = await rejection(reader.read('llama', T0, T0 + 60, 60));
    expect(err).toBeInstanceOf(HistoryResponseError);
    expect(err.message).toContain(key);
    expect(err.message).toContain('"lots"');
  });

  it('a key of the wrong type → HistoryResponseError', async () => {
    await raw.set(secondChunkKey(prefix, 'llama', T0), 'x');
    const err = await rejection(reader.read('llama', T0, T0 + 10, 1));
    expect(err).toBeInstanceOf(HistoryResponseError);
    expect(err.message).toContain('not a hash');
  });

  it('bad arguments → ValidationError; nothing written', async () => {
    expect(await rejection(reader.read('llama', T0, T0 + 60, 1.5))).toBeInstanceOf(ValidationError);
    const bad = await rejection(
      counter.recordMany('llama', [
        { atS: T0, count: -1 },
        { atS: NaN, count: 1 },
      ]),
    );
    expect(bad).toBeInstanceOf(ValidationError);
    expect((bad as ValidationError).issues.map((i) => i.path)).toEqual(['[0].count', '[1].atS']);
    expect(await rejection(counter.record('Not A Model', T0))).toBeInstanceOf(ValidationError);
    expect(await raw.keys(`${prefix}*`)).toEqual([]);
  });

  it('a shared client is not closed by close()', async () => {
    const shared = new Redis(REDIS_URL);
    try {
      const s = new RedisHistorySource({ redis: shared, prefix });
      await s.read('llama', T0, T0 + 60, 60);
      await s.close();
      expect(await shared.ping()).toBe('PONG');
    } finally {
      shared.disconnect();
    }
  });
});

describe('Redis history when Redis is unreachable', () => {
  let port: number;
  beforeEach(async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('read and record fail with HistoryUnavailableError naming the address, without hanging', async () => {
    const url = `redis://:secret@127.0.0.1:${port}`;
    const reader = new RedisHistorySource({ redis: url, commandTimeoutMs: 500 });
    const counter = new RedisDemandCounter({ redis: url, commandTimeoutMs: 500 });
    try {
      const err = await rejection(reader.read('llama', T0, T0 + 60, 60));
      expect(err).toBeInstanceOf(HistoryUnavailableError);
      expect((err as HistoryUnavailableError).code).toBe('E_HISTORY_UNAVAILABLE');
      expect(err.message).toContain(`127.0.0.1:${port}`);
      expect(err.message).not.toContain('secret');
      expect(await rejection(counter.record('llama', T0))).toBeInstanceOf(HistoryUnavailableError);
    } finally {
      await reader.close();
      await counter.close();
    }
  });
});
