import { Redis } from 'ioredis';
import { afterEach, expect, it } from 'vitest';
import { RedisDecisionStream, type DecisionStreamPage, type RedisDecisionStreamOptions } from '../src/index.js';
import { deleteKeys, describeWithRedis, freshPrefix, REDIS_URL, sleep } from './support/redis-test-env.js';
import { TcpProxy } from '@warmpool/testing/net';

describeWithRedis('RedisDecisionStream (real Redis)', () => {
  const streams: RedisDecisionStream[] = [];
  const keys: string[] = [];
  let admin: Redis | undefined;

  function open(options: RedisDecisionStreamOptions = {}): RedisDecisionStream {
    const key = `${freshPrefix('decisions')}:stream`;
    keys.push(key);
    const s = new RedisDecisionStream({ redisUrl: REDIS_URL, key, ...options });
    streams.push(s);
    return s;
  }

  function raw(): Redis {
    admin ??= new Redis(REDIS_URL);
    return admin;
  }

  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close();
    for (const k of keys.splice(0)) await deleteKeys(k);
    admin?.disconnect();
    admin = undefined;
  });

  const decision = (model: string, to: number): Record<string, unknown> => ({
    model,
    action: 'scale-up',
    from: to - 1,
    to,
    reasons: ['ForecastAbove'],
  });

  it('appends JSON records and reads them back in order with their times', async () => {
    const s = open();
    const before = Date.now();
    const ids = [await s.append(decision('a', 2)), await s.append(decision('b', 3))];
    const page = await s.read();
    expect(page.entries.map((e) => e.record)).toEqual([decision('a', 2), decision('b', 3)]);
    expect(page.entries.map((e) => e.id)).toEqual(ids);
    expect(page.lastId).toBe(ids[1]);
    expect(page.invalid).toEqual([]);
    for (const e of page.entries) expect(Math.abs(e.timeMs - before)).toBeLessThan(5000);
  });

  it('reads since a time, after an id, and page by page', async () => {
    const s = open();
    await s.append(decision('old', 1));
    await sleep(15);
    const since = Date.now();
    await sleep(5);
    for (let i = 2; i <= 5; i++) await s.append(decision('new', i));
    const recent = await s.read({ sinceMs: since });
    expect(recent.entries.map((e) => e.record.to)).toEqual([2, 3, 4, 5]);
    const first = await s.read({ count: 2 });
    const second = await s.read({ afterId: first.lastId, count: 2 });
    const third = await s.read({ afterId: second.lastId, count: 2 });
    expect([first, second, third].map((p) => p.entries.map((e) => e.record.to))).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('is capped near maxLen', async () => {
    const s = open({ maxLen: 50 });
    for (let i = 0; i < 400; i++) await s.append({ i });
    const len = await raw().xlen(s.key);
    expect(len).toBeGreaterThanOrEqual(50);
    expect(len).toBeLessThan(400);
    const page = await s.read({ count: 1000 });
    expect(page.entries.at(-1)?.record).toEqual({ i: 399 });
  });

  it('reports entries that are not JSON object records, naming stream and id, and keeps the good ones', async () => {
    const s = open();
    await s.append(decision('ok', 1));
    const notJson = await raw().xadd(s.key, '*', 'record', '{not json');
    const noField = await raw().xadd(s.key, '*', 'other', '1');
    const array = await raw().xadd(s.key, '*', 'record', '[1,2]');
    await s.append(decision('ok', 2));
    const page = await s.read();
    expect(page.entries.map((e) => e.record.to)).toEqual([1, 2]);
    expect(page.invalid.map((e) => [e.code, e.entryId])).toEqual([
      ['E_DECISION_STREAM_FORMAT', notJson],
      ['E_DECISION_STREAM_FORMAT', noField],
      ['E_DECISION_STREAM_FORMAT', array],
    ]);
    expect(page.invalid[0]!.message).toContain(`stream ${s.key}, entry ${notJson}: "record" is not JSON`);
  });

  it('refuses records that are not JSON objects', async () => {
    const s = open();
    const cyclic: Record<string, unknown> = { model: 'm' };
    cyclic.self = cyclic;
    await expect(s.append(cyclic)).rejects.toMatchObject({
      code: 'E_VALIDATION',
      message: expect.stringContaining('JSON-serializable'),
    });
    await expect(s.append({ big: 10n })).rejects.toMatchObject({ code: 'E_VALIDATION' });
    await expect(s.append([1] as unknown as Record<string, unknown>)).rejects.toMatchObject({ code: 'E_VALIDATION' });
  });

  it('follows new decisions as they are appended, and stops promptly on abort', async () => {
    const s = open();
    await s.append(decision('before-follow', 1));
    const abort = new AbortController();
    const seen: unknown[] = [];
    const following = (async () => {
      for await (const page of s.follow({ signal: abort.signal, blockMs: 5000 })) {
        seen.push(...page.entries.map((e) => e.record.to));
        if (seen.length >= 2) abort.abort();
      }
    })();
    await sleep(100);
    await s.append(decision('live', 2));
    await s.append(decision('live', 3));
    await following; // ends on abort even though XREAD blocks for 5 s
    expect(seen).toEqual([2, 3]);
  });

  it('abort cuts a follow blocked on XREAD (the 30 s block would outlast the test timeout)', async () => {
    const s = open();
    const abort = new AbortController();
    const following = (async () => {
      for await (const page of s.follow({ signal: abort.signal, blockMs: 30_000 })) void page;
    })();
    await sleep(100);
    abort.abort();
    await following;
    expect(abort.signal.aborted).toBe(true);
  });

  it('follow with sinceMs catches up first, then goes on live', async () => {
    const s = open();
    const since = Date.now() - 1;
    await s.append(decision('a', 1));
    await s.append(decision('a', 2));
    await s.append(decision('a', 3));
    const abort = new AbortController();
    const pages: DecisionStreamPage[] = [];
    const following = (async () => {
      for await (const page of s.follow({ sinceMs: since, count: 2, signal: abort.signal, blockMs: 200 })) {
        pages.push(page);
        if (pages.flatMap((p) => p.entries).length >= 4) abort.abort();
      }
    })();
    await sleep(100);
    await s.append(decision('a', 4));
    await following;
    expect(pages.map((p) => p.entries.map((e) => e.record.to))).toEqual([[1, 2], [3], [4]]);
  });

  it('append with Redis unreachable fails with a typed error naming the URL', async () => {
    const target = new URL(REDIS_URL);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    await proxy.start();
    const url = proxy.url;
    const key = `${freshPrefix('decisions')}:stream`;
    keys.push(key);
    const connectionErrors: Error[] = [];
    const s = new RedisDecisionStream({
      redisUrl: url,
      key,
      operationTimeoutMs: 300,
      onError: (e) => connectionErrors.push(e),
    });
    streams.push(s);
    await s.append(decision('up', 1));
    await proxy.stop();
    await expect(s.append(decision('down', 2))).rejects.toMatchObject({ code: 'E_REDIS_UNAVAILABLE', redisUrl: url });
    await sleep(100);
    expect(connectionErrors[0]).toMatchObject({ code: 'E_REDIS_UNAVAILABLE', redisUrl: url });
  });
});
