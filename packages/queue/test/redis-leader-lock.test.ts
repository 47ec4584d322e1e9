import { afterEach, expect, it } from 'vitest';
import { ManualClock, RedisLeaderLock, type LeaderEvent, type RedisLeaderLockOptions } from '../src/index.js';
import { deleteKeys, describeWithRedis, freshPrefix, REDIS_URL, sleep } from './support/redis-test-env.js';
import { TcpProxy } from '@warmpool/testing/net';

async function until(cond: () => boolean, what: string, patienceMs = 5000): Promise<void> {
  const deadline = Date.now() + patienceMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describeWithRedis('RedisLeaderLock (two instances, real Redis)', () => {
  const locks: RedisLeaderLock[] = [];
  const prefixes: string[] = [];
  const proxies: TcpProxy[] = [];

  function pair(options: RedisLeaderLockOptions = {}): [RedisLeaderLock, RedisLeaderLock, string] {
    const key = `${freshPrefix('leader')}:lock`;
    prefixes.push(key);
    const make = (holderId: string): RedisLeaderLock => {
      const lock = new RedisLeaderLock({ redisUrl: REDIS_URL, key, holderId, ttlMs: 300, ...options });
      locks.push(lock);
      return lock;
    };
    return [make('daemon-a'), make('daemon-b'), key];
  }

  afterEach(async () => {
    for (const l of locks.splice(0)) await l.close().catch(() => undefined);
    for (const p of proxies.splice(0)) await p.stop();
    for (const p of prefixes.splice(0)) await deleteKeys(p);
  });

  it('one acquires, the other is refused; re-acquiring your own lock extends it', async () => {
    const [a, b] = pair();
    expect(await a.tryAcquire()).toBe(true);
    expect(await b.tryAcquire()).toBe(false);
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    const token = a.fencingToken;
    expect(token).toBeGreaterThan(0);
    expect(await a.tryAcquire()).toBe(true);
    expect(a.fencingToken).toBe(token);
  });

  it('renew is compare-and-extend: only the holder can, and it keeps the lock past the first TTL', async () => {
    const [a, b] = pair();
    await a.tryAcquire();
    for (let i = 0; i < 4; i++) {
      await sleep(100);
      expect(await a.renew()).toBe(true);
    }
    expect(await b.tryAcquire()).toBe(false);
    expect(await b.renew()).toBe(false);
  });

  it('release is compare-and-delete: a non-holder cannot free it, the holder can', async () => {
    const [a, b] = pair();
    await a.tryAcquire();
    expect(await b.release()).toBe(false);
    expect(await b.tryAcquire()).toBe(false);
    expect(await a.release()).toBe(true);
    expect(a.isLeader()).toBe(false);
    expect(await b.tryAcquire()).toBe(true);
  });

  it('takeover when the holder stops renewing, with a higher fencing token; the old holder learns it lost', async () => {
    const [a, b] = pair();
    const eventsA: LeaderEvent[] = [];
    a.onEvent((e) => eventsA.push(e));
    await a.tryAcquire();
    const first = a.fencingToken;
    await sleep(350);
    expect(a.isLeader()).toBe(false); // local view expired with the lease
    expect(await b.tryAcquire()).toBe(true);
    expect(b.fencingToken).toBeGreaterThan(first);
    expect(await a.renew()).toBe(false);
    expect(eventsA.map((e) => e.type)).toEqual(['elected', 'lost']);
    expect(eventsA[1]).toMatchObject({ reason: 'taken-over' });
  });

  it('campaigning: the first leads and keeps leading; when it dies the other takes over', async () => {
    const [a, b] = pair({ ttlMs: 300, renewEveryMs: 60 });
    const log: string[] = [];
    a.onEvent((e) => e.type !== 'error' && log.push(`a:${e.type}`));
    b.onEvent((e) => e.type !== 'error' && log.push(`b:${e.type}`));
    a.start();
    await until(() => a.isLeader(), 'a to lead');
    b.start();
    await sleep(500); // longer than the TTL: a must have renewed
    expect([a.isLeader(), b.isLeader()]).toEqual([true, false]);
    await a.stop({ release: false }); // dies without releasing
    await until(() => b.isLeader(), 'b to take over');
    expect(log).toEqual(['a:elected', 'b:elected']);
    await b.stop();
    expect(log).toEqual(['a:elected', 'b:elected', 'b:lost']);
    expect(await a.tryAcquire()).toBe(true); // released: free at once
  });

  it('a leader cut off from Redis steps down by its own clock and reports why', async () => {
    const target = new URL(REDIS_URL);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 6379));
    proxies.push(proxy);
    await proxy.start();
    const key = `${freshPrefix('leader')}:lock`;
    prefixes.push(key);
    const a = new RedisLeaderLock({
      redisUrl: proxy.url,
      key,
      holderId: 'cut-off',
      ttlMs: 300,
      renewEveryMs: 50,
      operationTimeoutMs: 100,
    });
    locks.push(a);
    const events: LeaderEvent[] = [];
    a.onEvent((e) => events.push(e));
    a.start();
    await until(() => a.isLeader(), 'a to lead');
    await proxy.stop();
    await until(() => !a.isLeader(), 'a to step down', 1000);
    await until(() => events.some((e) => e.type === 'lost'), 'the lost event', 1000);
    expect(events.find((e) => e.type === 'lost')).toMatchObject({ reason: 'expired' });
    const err = events.find((e) => e.type === 'error');
    expect(err).toMatchObject({ error: { code: 'E_REDIS_UNAVAILABLE', redisUrl: proxy.url } });
    await a.stop({ release: false });
  });

  it('the fencing token never restarts low after Redis loses the lock and the counter (finding 3): a stale leader is fenced off', async () => {
    const [a, b, key] = pair({ ttlMs: 5000 });
    expect(await a.tryAcquire()).toBe(true);
    const first = a.fencingToken;
    await a.verify();
    // Redis loses its data (restart without persistence, FLUSHALL): both the lock and the counter are gone.
    const { Redis } = await import('ioredis');
    const admin = new Redis(REDIS_URL);
    await admin.del(key, `${key}:fencing-token`);
    expect(await b.tryAcquire()).toBe(true);
    // INCR alone would hand out 1 here, below the token the stale leader still holds
    expect(b.fencingToken).toBeGreaterThan(first);
    expect(a.isLeader()).toBe(true); // a's local view has not expired yet...
    await expect(a.verify()).rejects.toMatchObject({ code: 'E_FENCED_OFF' }); // ...but where it acts it is refused
    expect(a.isLeader()).toBe(false);
    await b.verify();
    // a token held under the same key by a newer term fences the older one even with the key equal
    await admin.set(`${key}:fencing-token`, String(b.fencingToken + 1));
    await expect(b.verify()).rejects.toMatchObject({ code: 'E_FENCED_OFF' });
    admin.disconnect();
  });

  it('isLeader follows the injected clock', async () => {
    const clock = new ManualClock(Date.now());
    const key = `${freshPrefix('leader')}:lock`;
    prefixes.push(key);
    const lock = new RedisLeaderLock({ redisUrl: REDIS_URL, key, ttlMs: 10_000, clock });
    locks.push(lock);
    expect(await lock.tryAcquire()).toBe(true);
    await clock.advanceBy(9_000);
    expect(lock.isLeader()).toBe(true);
    await clock.advanceBy(1_000);
    expect(lock.isLeader()).toBe(false);
  });
});

it('rejects bad options, naming them', () => {
  expect(() => new RedisLeaderLock({ ttlMs: 5, renewEveryMs: 0, key: '' })).toThrow(
    /ttlMs: got 5.*\n.*renewEveryMs: got 0.*\n.*key: got ""/s,
  );
});
