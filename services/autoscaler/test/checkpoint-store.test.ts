import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../src/daemon/checkpoint-store.js';
import { MAX_CHECKPOINT_STEPS } from '../src/daemon/model-checkpoint.js';
import { CheckpointModels } from './support/checkpoint-models.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-checkpoint-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => join(dir, `c${n++}`, 'checkpoint.json');
const size = (p: string) => statSync(p).size;

describe('FileCheckpointStore: a snapshot and an append-only journal (checkpoint cost follows what changed)', () => {
  it('round trip: every step (gaps, peaks; rates to 4 significant digits), lead times, bursts and the header', async () => {
    const file = fresh();
    const ms = new CheckpointModels('daemon-a', 4);
    ms.add('a', 300);
    ms.add('b', 5);
    ms.meta.get('b')!.bursts = { v: 1, peaksPerS: [1, 2] } as never;
    const store = new FileCheckpointStore(file);
    await store.save(ms.take);
    ms.add('a', 3);
    ms.nowMs += 10_000;
    await store.save(ms.take);
    const cp = (await new FileCheckpointStore(file).load())!;
    expect(cp).toMatchObject({ v: 2, savedAtMs: ms.nowMs, identity: 'daemon-a', fencingToken: 4 });
    expect(cp.warnings).toBeUndefined();
    expect(cp.models.a).toEqual(ms.expected('a'));
    expect(cp.models.b).toEqual(ms.expected('b'));
    expect(cp.models.a!.steps).toHaveLength(303);
  });

  it('a save after one new step per model appends a line of those steps only (the snapshot is not written again)', async () => {
    const file = fresh();
    const ms = new CheckpointModels();
    for (let i = 0; i < 20; i++) ms.add(`m${i}`, MAX_CHECKPOINT_STEPS);
    const store = new FileCheckpointStore(file);
    await store.save(ms.take);
    const snapshotBytes = size(file);
    const snapshotTime = statSync(file).mtimeMs;
    for (let i = 0; i < 20; i++) ms.add(`m${i}`, 1);
    ms.stepsTaken = 0;
    ms.nowMs += 10_000;
    await store.save(ms.take);
    expect(ms.stepsTaken).toBe(20); // the store asked for the new steps only
    expect(statSync(file).mtimeMs).toBe(snapshotTime);
    const journalBytes = size(`${file}.journal`);
    expect(journalBytes).toBeGreaterThan(0);
    expect(journalBytes).toBeLessThan(snapshotBytes / 200);
    const cp = (await new FileCheckpointStore(file).load())!;
    expect(cp.savedAtMs).toBe(ms.nowMs);
    expect(cp.models.m7).toEqual(ms.expected('m7'));
    expect(cp.models.m7!.steps).toHaveLength(MAX_CHECKPOINT_STEPS);
  });

  it('a torn last journal line (a crash mid-append) is skipped with a warning; the saves before it load', async () => {
    const file = fresh();
    const ms = new CheckpointModels();
    ms.add('a', 50);
    const store = new FileCheckpointStore(file);
    await store.save(ms.take);
    ms.add('a', 2);
    await store.save(ms.take);
    const good = ms.expected('a');
    appendFileSync(`${file}.journal`, '{"g":"x","t":1,"m":{"a":{"s":{"t":[17');
    const cp = (await new FileCheckpointStore(file).load())!;
    expect(cp.models.a).toEqual(good);
    expect(cp.warnings).toEqual([expect.stringMatching(/checkpoint\.json\.journal line 2: torn/)]);
    // the next writer starts with a snapshot and an empty journal
    const next = new FileCheckpointStore(file);
    ms.add('a', 1);
    await next.save(ms.take);
    expect(size(`${file}.journal`)).toBe(0);
    expect((await next.load())!.models.a).toEqual(ms.expected('a'));
  });

  it('compacts when the journal outgrows the snapshot; lines of an older snapshot (a crash mid-compaction) are ignored', async () => {
    const file = fresh();
    const ms = new CheckpointModels();
    ms.add('a', 4);
    const store = new FileCheckpointStore(file);
    await store.save(ms.take);
    const first = readFileSync(file, 'utf8');
    let compacted = false;
    let oldJournal = '';
    for (let i = 0; i < 40 && !compacted; i++) {
      ms.add('a', 1);
      ms.meta.get('a')!.leadTimeSamples = [
        { totalS: 30 + i, stagesS: { provisioning: 20, loading: 5, warming: 5 + i } },
      ];
      oldJournal = readFileSync(`${file}.journal`, 'utf8');
      await store.save(ms.take);
      compacted = readFileSync(file, 'utf8') !== first;
    }
    expect(compacted).toBe(true);
    expect(size(`${file}.journal`)).toBe(0);
    expect(oldJournal.split('\n').length).toBeGreaterThan(2);
    const after = ms.expected('a');
    expect((await new FileCheckpointStore(file).load())!.models.a).toEqual(after);
    // the crash between renaming the new snapshot and emptying the journal: the old lines are not applied again
    writeFileSync(`${file}.journal`, oldJournal);
    const cp = (await new FileCheckpointStore(file).load())!;
    expect(cp.models.a).toEqual(after);
  });

  it('reads the v1 single document and writes the incremental format at its first save (the upgrade)', async () => {
    const file = fresh();
    const v1 = {
      v: 1,
      savedAtMs: 1_770_000_000_000,
      identity: 'old',
      fencingToken: null,
      models: { a: { steps: [{ startS: 100, meanPerS: 1.5, peakPerS: 2 }], leadTimeSamples: [] } },
    };
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(v1));
    writeFileSync(`${file}.journal`, 'left by someone\n');
    const store = new FileCheckpointStore(file);
    expect(await store.load()).toEqual(v1);
    const ms = new CheckpointModels();
    ms.add('a', 3);
    await store.save(ms.take);
    expect(readFileSync(file, 'utf8').startsWith('{"v":2,')).toBe(true);
    expect((await new FileCheckpointStore(file).load())!.models.a).toEqual(ms.expected('a'));
  });

  it("a model's bad stored steps are dropped with a warning naming the model and the field; the rest loads", async () => {
    const file = fresh();
    const ms = new CheckpointModels();
    ms.add('a', 10);
    ms.add('b', 10);
    await new FileCheckpointStore(file).save(ms.take);
    const snap = JSON.parse(readFileSync(file, 'utf8'));
    snap.models.a.s.m[3] = 'lots';
    writeFileSync(file, JSON.stringify(snap));
    const cp = (await new FileCheckpointStore(file).load())!;
    expect(cp.warnings).toEqual([expect.stringContaining('model a: steps.m[3]: got "lots"')]);
    expect(cp.models.a!.steps).toEqual([]);
    expect(cp.models.a!.leadTimeSamples).toEqual(ms.expected('a').leadTimeSamples);
    expect(cp.models.b).toEqual(ms.expected('b'));
  });

  it("a restarted daemon's first save after a clean load appends to the files it read (no full snapshot)", async () => {
    const file = fresh();
    const ms = new CheckpointModels();
    ms.add('a', 500);
    await new FileCheckpointStore(file).save(ms.take);
    const ino = statSync(file).ino;
    const restarted = new FileCheckpointStore(file);
    await restarted.load();
    ms.add('a', 2);
    ms.stepsTaken = 0;
    await restarted.save(ms.take);
    expect(ms.stepsTaken).toBe(2);
    expect(statSync(file).ino).toBe(ino);
    expect((await new FileCheckpointStore(file).load())!.models.a).toEqual(ms.expected('a'));
    // loaded, then someone else wrote: the save writes everything
    const again = new FileCheckpointStore(file);
    await again.load();
    ms.add('a', 1);
    await restarted.save(ms.take);
    ms.stepsTaken = 0;
    await again.save(ms.take);
    expect(ms.stepsTaken).toBe(503);
  });

  it("a journal another process wrote to since this store's last save makes this save a full snapshot", async () => {
    const file = fresh();
    const ms = new CheckpointModels();
    ms.add('a', 10);
    const store = new FileCheckpointStore(file);
    await store.save(ms.take);
    const other = new CheckpointModels('daemon-b');
    other.add('a', 3, 1_770_500_000);
    await new FileCheckpointStore(file).save(other.take);
    ms.add('a', 1);
    ms.stepsTaken = 0;
    await store.save(ms.take);
    expect(ms.stepsTaken).toBe(11);
    expect((await new FileCheckpointStore(file).load())!).toMatchObject({
      identity: 'daemon-a',
      models: { a: ms.expected('a') },
    });
  });
});
