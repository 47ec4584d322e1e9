import { describe, expect, it } from 'vitest';
import { DemandRecorder } from '../src/demand-recorder.js';
import { parseRegistration } from '../src/registration-request.js';
import { ReplicaPool } from '../src/replica-pool.js';

const reg = (id: string, model = 'm') => ({
  replicaId: id,
  model,
  url: 'http://127.0.0.1:1',
  executionProvider: 'cpu',
});

describe('ReplicaPool', () => {
  it('picks the replica with least outstanding requests, rotating ties, only for the model asked', () => {
    const pool = new ReplicaPool({ slowStartMs: 0 });
    const a = pool.register(reg('a'), 0);
    const b = pool.register(reg('b'), 0);
    pool.register(reg('x', 'other'), 0);
    a.outstanding = 3;
    b.outstanding = 1;
    expect(pool.pick('m', 0)?.id).toBe('b');
    b.outstanding = 3;
    const seen = new Set([pool.pick('m', 0)?.id, pool.pick('m', 0)?.id]);
    expect(seen).toEqual(new Set(['a', 'b']));
    expect(pool.pick('other', 0)?.id).toBe('x');
    expect(pool.pick('none', 0)).toBeUndefined();
  });

  it('never picks unready, draining or excluded replicas', () => {
    const pool = new ReplicaPool({ slowStartMs: 0 });
    const a = pool.register(reg('a'), 0);
    const b = pool.register(reg('b'), 0);
    a.ready = false;
    expect(pool.pick('m', 0)?.id).toBe('b');
    b.draining = true;
    expect(pool.pick('m', 0)).toBeUndefined();
    a.ready = true;
    expect(pool.pick('m', 0, new Set(['a']))).toBeUndefined();
  });

  it('slow start: a new replica gets a share of traffic that grows linearly with its age', () => {
    const pool = new ReplicaPool({ slowStartMs: 30_000, slowStartMinWeight: 0.05 });
    pool.register(reg('old'), -60_000);
    const shareOfNew = (ageMs: number, n = 1000): number => {
      const p = new ReplicaPool(pool.options);
      p.register(reg('old'), -60_000);
      p.register(reg('new'), 0);
      let hits = 0;
      for (let i = 0; i < n; i++) if (p.pick('m', ageMs)?.id === 'new') hits += 1;
      return hits / n;
    };
    // weight w vs 1 under sequential load: share w / (1 + w)
    expect(shareOfNew(0)).toBeCloseTo(0.05 / 1.05, 2);
    expect(shareOfNew(7_500)).toBeCloseTo(0.25 / 1.25, 2);
    expect(shareOfNew(15_000)).toBeCloseTo(0.5 / 1.5, 2);
    expect(shareOfNew(30_000)).toBeCloseTo(0.5, 2);
    expect(pool.weight(pool.get('old')!, 0)).toBe(1);
  });

  it('slow start still steers away from a busy replica', () => {
    const pool = new ReplicaPool({ slowStartMs: 10_000 });
    const old = pool.register(reg('old'), -20_000);
    pool.register(reg('new'), 0);
    old.outstanding = 19; // effective weight 1/20 = 0.05 vs new 0.5
    let toNew = 0;
    for (let i = 0; i < 100; i++) if (pool.pick('m', 5_000)?.id === 'new') toNew += 1;
    expect(toNew).toBeGreaterThan(85);
  });

  it('re-registering the same endpoint keeps its slow-start age; a new endpoint restarts it', () => {
    const pool = new ReplicaPool({ slowStartMs: 10_000 });
    pool.register(reg('a'), 0);
    expect(pool.register(reg('a'), 5_000).registeredAtMs).toBe(0);
    expect(pool.register({ ...reg('a'), url: 'http://127.0.0.1:2' }, 6_000).registeredAtMs).toBe(6_000);
  });
});

describe('DemandRecorder', () => {
  it('counts requests per second per model over the last N seconds', () => {
    const d = new DemandRecorder(10);
    for (const t of [1000, 1500, 1999, 3000, 3100]) d.record('m', t);
    d.record('other', 3000);
    expect(d.series('m', 3500, 4)).toEqual({ model: 'm', startMs: 0, bucketS: 1, counts: [0, 3, 0, 2], total: 5 });
    // the ring forgets seconds older than retainS
    d.record('m', 13_000);
    expect(d.series('m', 13_000, 10).counts).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    expect(d.series('unknown', 3000, 2).counts).toEqual([0, 0]);
  });
});

describe('parseRegistration', () => {
  it('names every bad field', () => {
    expect(() => parseRegistration({ replicaId: '', model: 'Bad Name', url: 'ftp://x', extra: 1 })).toThrow(
      /replicaId[\s\S]*model[\s\S]*url[\s\S]*extra|extra/,
    );
    try {
      parseRegistration({ replicaId: '', model: 'Bad Name', url: 'ftp://x', extra: 1 });
    } catch (e) {
      expect((e as { issues: Array<{ path: string }> }).issues.map((i) => i.path).sort()).toEqual([
        'extra',
        'model',
        'replicaId',
        'url',
      ]);
    }
    expect(parseRegistration({ replicaId: 'r-1', model: 'm', url: 'http://127.0.0.1:9' })).toEqual({
      replicaId: 'r-1',
      model: 'm',
      url: 'http://127.0.0.1:9',
      executionProvider: 'unknown',
    });
  });
});
