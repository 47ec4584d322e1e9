import { afterAll, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { RedisCheckpointStore } from '../src/daemon/redis-checkpoint-store.js';
import { MAX_CHECKPOINT_STEPS } from '../src/daemon/model-checkpoint.js';
import { CheckpointModels } from './support/checkpoint-models.js';
import { REDIS_URL, deletePrefix, describeWithRedis, freshPrefix } from './support/redis-env.js';

const prefixes: string[] = [];
const stores: RedisCheckpointStore[] = [];
let admin: Redis | undefined;
afterAll(async () => {
  for (const s of stores) await s.close();
  for (const p of prefixes) await deletePrefix(p);
  admin?.disconnect();
});

function fresh(): { key: string; store: () => RedisCheckpointStore; redis: Redis } {
  const key = freshPrefix('checkpoint');
  prefixes.push(key);
  admin ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  return {
    key,
    redis: admin,
    store: () => {
      const s = new RedisCheckpointStore(REDIS_URL, key);
      stores.push(s);
      return s;
    },
  };
}

/** A model's step list and the metadata hash under the generation the head names (a full save writes a new one). */
async function sk(key: string, model: string): Promise<string> {
  return `${key}:${await admin!.hget(`${key}:head`, 'gen')}:steps:${model}`;
}
async function mk(key: string): Promise<string> {
  return `${key}:${await admin!.hget(`${key}:head`, 'gen')}:meta`;
}

describeWithRedis(
  'RedisCheckpointStore (real Redis, fresh keys): per-model step lists, a metadata hash, a head',
  () => {
    it('round trip, and a save after new steps pushes only those (the list is appended to, not rewritten)', async () => {
      const { key, store, redis } = fresh();
      const ms = new CheckpointModels('daemon-a', 3);
      ms.add('a', 100);
      ms.add('b', 2);
      const s = store();
      await s.save(ms.take);
      expect(await redis.llen(await sk(key, 'a'))).toBe(1); // one element: the save's steps as columns
      // a marker the next save would wipe if it wrote the list again
      const first = (await redis.lindex(await sk(key, 'a'), 0))!;
      const marker = JSON.stringify({ ...JSON.parse(first), m: [999, ...JSON.parse(first).m.slice(1)] });
      await redis.lset(await sk(key, 'a'), 0, marker);
      const metaBefore = await redis.hget(await mk(key), 'a');
      await redis.hset(await mk(key), 'b', '{"l":[],"marker":1}');
      ms.add('a', 2);
      ms.nowMs += 10_000;
      ms.stepsTaken = 0;
      await s.save(ms.take);
      expect(ms.stepsTaken).toBe(2);
      expect(await redis.hget(await mk(key), 'b')).toBe('{"l":[],"marker":1}'); // unchanged metadata: not written
      expect(await redis.hget(await mk(key), 'a')).toBe(metaBefore);
      expect(await redis.lindex(await sk(key, 'a'), 0)).toBe(marker);
      expect(await redis.llen(await sk(key, 'a'))).toBe(2);
      await redis.lset(await sk(key, 'a'), 0, first);
      await redis.hset(await mk(key), 'b', JSON.stringify({ l: ms.meta.get('b')!.leadTimeSamples }));
      const cp = (await store().load())!;
      expect(cp).toMatchObject({ v: 2, savedAtMs: ms.nowMs, identity: 'daemon-a', fencingToken: 3 });
      expect(cp.warnings).toBeUndefined();
      expect(cp.models.a).toEqual(ms.expected('a'));
      expect(cp.models.b).toEqual(ms.expected('b'));
    });

    it('keeps the newest 2048 steps a model (LTRIM of older elements), and rewrites a list of many small elements as one', async () => {
      const { key, store, redis } = fresh();
      const ms = new CheckpointModels();
      ms.add('a', MAX_CHECKPOINT_STEPS);
      const s = store();
      await s.save(ms.take);
      ms.add('a', 5);
      await s.save(ms.take);
      expect(await redis.llen(await sk(key, 'a'))).toBe(2);
      expect((await store().load())!.models.a).toEqual(ms.expected('a'));
      ms.add('a', MAX_CHECKPOINT_STEPS);
      await s.save(ms.take);
      expect(await redis.llen(await sk(key, 'a'))).toBe(1); // the two older elements held only older steps
      expect((await store().load())!.models.a).toEqual(ms.expected('a'));
      const lengths: number[] = [];
      for (let i = 0; i < 130; i++) {
        ms.add('a', 1);
        await s.save(ms.take);
        lengths.push(await redis.llen(await sk(key, 'a')));
      }
      expect(Math.max(...lengths)).toBeLessThanOrEqual(128);
      expect(lengths).toContain(1); // rewritten as one element
      expect((await store().load())!.models.a).toEqual(ms.expected('a'));
    });

    it('a new leader reads everything the old one wrote; the old one, fenced off, cannot write over it', async () => {
      const { store } = fresh();
      const old = new CheckpointModels('daemon-a', 1);
      old.add('a', 50);
      const oldStore = store();
      await oldStore.save(old.take);
      old.add('a', 1);
      await oldStore.save(old.take);

      const next = store();
      const seen = (await next.load())!;
      expect(seen.models.a).toEqual(old.expected('a'));
      const leader = new CheckpointModels('daemon-b', 2);
      leader.add('a', 60); // it followed: the same steps and more (its save appends after what it loaded)
      await next.save(leader.take);

      old.add('a', 1);
      await expect(oldStore.save(old.take)).rejects.toThrow(
        /fenced off: .*fencing token 2, newer than this daemon's 1/,
      );
      const cp = (await store().load())!;
      expect(cp).toMatchObject({ identity: 'daemon-b', fencingToken: 2 });
      expect(cp.models.a).toEqual(leader.expected('a'));
    });

    it('without fencing tokens, a writer that finds another writer in the head writes everything again', async () => {
      const { store } = fresh();
      const a = new CheckpointModels('daemon-a');
      a.add('a', 30);
      a.add('gone', 3);
      const sa = store();
      await sa.save(a.take);
      const b = new CheckpointModels('daemon-b');
      b.add('a', 10, 1_770_300_000);
      await store().save(b.take);
      a.add('a', 1);
      a.stepsTaken = 0;
      await sa.save(a.take);
      expect(a.stepsTaken).toBe(34);
      const cp = (await store().load())!;
      expect(cp.identity).toBe('daemon-a');
      expect(cp.models).toEqual({ a: a.expected('a'), gone: a.expected('gone') });
      // a model no longer checkpointed goes
      a.memories.delete('gone');
      await sa.save(a.take);
      expect(Object.keys((await store().load())!.models)).toEqual(['a']);
    });

    it("a restarted daemon's first save after a clean load appends (the head unchanged since); the old writer then starts over", async () => {
      const { key, store, redis } = fresh();
      const ms = new CheckpointModels();
      ms.add('a', 500);
      const old = store();
      await old.save(ms.take);
      const restarted = store();
      await restarted.load();
      ms.add('a', 2);
      ms.stepsTaken = 0;
      await restarted.save(ms.take);
      expect(ms.stepsTaken).toBe(2);
      expect(await redis.llen(await sk(key, 'a'))).toBe(2);
      expect((await store().load())!.models.a).toEqual(ms.expected('a'));
      ms.add('a', 1);
      ms.stepsTaken = 0;
      await old.save(ms.take); // the head names the restarted writer now
      expect(ms.stepsTaken).toBe(503);
      expect((await store().load())!.models.a).toEqual(ms.expected('a'));
    });

    it('reads the v1 single document and replaces it at the first save (the upgrade)', async () => {
      const { key, store, redis } = fresh();
      const v1 = {
        v: 1,
        savedAtMs: 1_770_000_000_000,
        identity: 'old',
        fencingToken: 5,
        models: { a: { steps: [{ startS: 100, meanPerS: 1.5, peakPerS: 2 }], leadTimeSamples: [] } },
      };
      await redis.set(key, JSON.stringify(v1));
      const s = store();
      expect(await s.load()).toEqual(v1);
      const ms = new CheckpointModels('daemon-a', 6);
      ms.add('a', 4);
      await s.save(ms.take);
      expect(await redis.exists(key)).toBe(0);
      expect((await store().load())!.models.a).toEqual(ms.expected('a'));
    });

    it("a model's bad stored step is dropped with a warning naming the model and the step; the rest loads", async () => {
      const { key, store, redis } = fresh();
      const ms = new CheckpointModels();
      ms.add('a', 5);
      ms.add('b', 5);
      await store().save(ms.take);
      await redis.lset(await sk(key, 'a'), 0, '{"t":[1770000000],"m":["soon"]}');
      const cp = (await store().load())!;
      expect(cp.warnings).toEqual([expect.stringMatching(/model a: steps\[0\]\.m\[0\]: got "soon"/)]);
      expect(cp.models.a!.steps).toEqual([]);
      expect(cp.models.b).toEqual(ms.expected('b'));
    });
  },
);
