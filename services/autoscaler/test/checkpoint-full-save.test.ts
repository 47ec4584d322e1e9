import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { CheckpointStore, TakeCheckpoint } from '../src/daemon/checkpoint-store.js';
import { FileCheckpointStore } from '../src/daemon/checkpoint-store.js';
import { MAX_CHECKPOINT_STEPS } from '../src/daemon/model-checkpoint.js';
import { RedisCheckpointStore } from '../src/daemon/redis-checkpoint-store.js';
import { CheckpointModels } from './support/checkpoint-models.js';
import { REDIS_URL, deletePrefix, describeWithRedis, freshPrefix } from './support/redis-env.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-checkpoint-full-'));
const prefixes: string[] = [];
const stores: CheckpointStore[] = [];
afterAll(async () => {
  for (const s of stores) await s.close();
  for (const p of prefixes) await deletePrefix(p);
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;

/** Many models at their full 2,048 steps: a full save of these is far more than one slice of work. */
function large(models = 300): CheckpointModels {
  const ms = new CheckpointModels('daemon-a', 2);
  for (let i = 0; i < models; i++) ms.add(`m${i}`, MAX_CHECKPOINT_STEPS);
  return ms;
}

/** `take` whose source throws when the store asks for model `at` (a save cut short half-way). */
function failingAt(take: TakeCheckpoint, at: string): TakeCheckpoint {
  return () => {
    const source = take();
    return {
      ...source,
      model: (name, after) => {
        if (name === at) throw new Error(`the source failed at ${at}`);
        return source.model(name, after);
      },
    };
  };
}

/** Saves while a 10 ms timer runs; returns how often the timer fired during the save. */
async function ticksDuring(save: () => Promise<void>): Promise<number> {
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  try {
    await save();
  } finally {
    clearInterval(timer);
  }
  return ticks;
}

const stores2 = {
  file: () => {
    const s = new FileCheckpointStore(join(dir, `c${n++}`, 'checkpoint.json'));
    stores.push(s);
    return s;
  },
};

describe('full checkpoint saves give the event loop turns (no multi-second block)', () => {
  it('file: the first save of 300 x 2048 steps yields between models, a timer keeps firing, and it loads whole', async () => {
    const ms = large();
    const store = stores2.file();
    const ticks = await ticksDuring(() => store.save(ms.take));
    // the old save encoded and wrote everything in one synchronous run: no turn, the timer never fired in it
    expect(store.lastSaveYields).toBeGreaterThanOrEqual(5);
    expect(ticks).toBeGreaterThanOrEqual(3);
    const cp = (await new FileCheckpointStore((store as unknown as { file: string }).file).load())!;
    expect(cp.warnings).toBeUndefined();
    expect(Object.keys(cp.models)).toHaveLength(300);
    expect(cp.models.m299).toEqual(ms.expected('m299'));
  }, 120_000);

  it('file: a snapshot cut short half-way leaves the last snapshot and journal as they were (its temporary file removed)', async () => {
    const ms = new CheckpointModels();
    for (let i = 0; i < 50; i++) ms.add(`m${i}`, 100);
    const store = stores2.file();
    await store.save(ms.take);
    ms.add('m0', 1);
    await store.save(ms.take); // a journal line
    const file = (store as unknown as { file: string }).file;
    const other = new CheckpointModels('daemon-b');
    for (let i = 0; i < 50; i++) other.add(`m${i}`, 300);
    const writer = new FileCheckpointStore(file);
    await expect(writer.save(failingAt(other.take, 'm30'))).rejects.toThrow(/the source failed at m30/);
    const cp = (await new FileCheckpointStore(file).load())!;
    expect(cp.identity).toBe('daemon-a');
    expect(cp.models.m0).toEqual(ms.expected('m0'));
    expect(cp.models.m49).toEqual(ms.expected('m49'));
    expect(readdirSync(dirname(file)).sort()).toEqual(['checkpoint.json', 'checkpoint.json.journal']);
  });
});

describeWithRedis('full Redis checkpoint saves: a new generation in batches, the head flipped last', () => {
  const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  afterAll(() => admin.disconnect());
  const fresh = () => {
    const key = freshPrefix('checkpoint-full');
    prefixes.push(key);
    const open = () => {
      const s = new RedisCheckpointStore(REDIS_URL, key);
      stores.push(s);
      return s;
    };
    return { key, open };
  };

  it('the first save of 300 x 2048 steps yields between models, a timer keeps firing, and it loads whole', async () => {
    const { open } = fresh();
    const ms = large();
    const store = open();
    const ticks = await ticksDuring(() => store.save(ms.take));
    expect(store.lastSaveYields).toBeGreaterThanOrEqual(5);
    expect(ticks).toBeGreaterThanOrEqual(3);
    const cp = (await open().load())!;
    expect(cp.warnings).toBeUndefined();
    expect(Object.keys(cp.models)).toHaveLength(300);
    expect(cp.models.m299).toEqual(ms.expected('m299'));
  }, 120_000);

  it('a reader during a full save sees the old checkpoint whole; one cut short leaves it and drops its keys', async () => {
    const { key, open } = fresh();
    const old = new CheckpointModels('daemon-a', 2);
    for (let i = 0; i < 40; i++) old.add(`m${i}`, 50);
    await open().save(old.take);
    const keysBefore = (await admin.keys(`${key}*`)).sort();
    const next = new CheckpointModels('daemon-b', 2);
    for (let i = 0; i < 40; i++) next.add(`m${i}`, MAX_CHECKPOINT_STEPS);
    // another writer's full save: after its first batch (~1 MB, ~28 models) is in Redis, a reader loads
    let during: Promise<unknown> | undefined;
    const reader = open();
    const take: TakeCheckpoint = () => {
      const source = next.take();
      return {
        ...source,
        model: (name, after) => {
          if (name === 'm32') during = reader.load();
          return source.model(name, after);
        },
      };
    };
    const writer = open();
    await expect(writer.save(failingAt(take, 'm36'))).rejects.toThrow(/the source failed at m36/);
    const seen = (await during) as Awaited<ReturnType<RedisCheckpointStore['load']>>;
    expect(seen!.identity).toBe('daemon-a');
    expect(seen!.models.m20).toEqual(old.expected('m20'));
    expect(Object.keys(seen!.models)).toHaveLength(40);
    expect((await admin.keys(`${key}*`)).sort()).toEqual(keysBefore); // the half-written generation is gone
    await writer.save(next.take);
    const cp = (await open().load())!;
    expect(cp.identity).toBe('daemon-b');
    expect(cp.models.m39).toEqual(next.expected('m39'));
    expect(await admin.exists(...keysBefore.filter((k) => !k.endsWith(':head')))).toBe(0); // the old generation
  }, 120_000);
});
