import { describe, expect, it } from 'vitest';
import { ValidationError, leadTimeTotalS, parseModelSpec } from '../src/index.js';

describe('parseModelSpec', () => {
  it('fills defaults: 45 s lead time split into stages, min warm 1, upper quantile 0.93', () => {
    const s = parseModelSpec({ name: 'llama-8b', capacityPerReplicaPerS: 12.5 });
    expect(leadTimeTotalS(s.leadTime)).toBe(45);
    expect(s.leadTime).toEqual({ provisionS: 30, loadS: 10, warmupS: 5 });
    expect(s.minWarmReplicas).toBe(1);
    expect(s.targetUtilization).toBe(0.7);
    expect(s.upperQuantile).toBe(0.93);
  });

  it('reports every problem at once, each naming key, value and what is allowed', () => {
    let error: unknown;
    try {
      parseModelSpec(
        {
          name: 'Bad Name',
          capacityPerReplicaPerS: -1,
          targetUtilization: 1.5,
          leadTime: { provisionS: 'x' },
          minWarmReplicas: 5,
          maxReplicas: 2,
          colour: 'red',
        },
        'warmpool.yaml',
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const v = error as ValidationError;
    expect(v.code).toBe('E_VALIDATION');
    const paths = v.issues.map((i) => i.path).sort();
    expect(paths).toEqual([
      'capacityPerReplicaPerS',
      'colour',
      'leadTime.provisionS',
      'maxReplicas',
      'name',
      'targetUtilization',
    ]);
    const util = v.issues.find((i) => i.path === 'targetUtilization')!;
    expect(util.value).toBe(1.5);
    expect(util.allowed).toBe('a number in (0, 1]');
    expect(v.message).toContain('warmpool.yaml');
    expect(v.message).toContain('targetUtilization: got 1.5, allowed: a number in (0, 1]');
    expect(v.message).toContain('leadTime.provisionS: got "x"');
    expect(v.message).toContain('maxReplicas: got 2, allowed: an integer >= minWarmReplicas (5)');
  });

  it('requires the capacity per replica (no sensible default)', () => {
    expect(() => parseModelSpec({ name: 'm' })).toThrow(/capacityPerReplicaPerS: got missing/);
  });

  it('rejects non-objects', () => {
    expect(() => parseModelSpec('llm')).toThrow(/\(root\): got "llm", allowed: an object/);
    expect(() => parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, leadTime: [1, 2] })).toThrow(
      /leadTime: got \[1,2\]/,
    );
  });

  it('rejects non-integer replica counts and out-of-range quantiles', () => {
    expect(() => parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, minWarmReplicas: 1.5 })).toThrow(
      /minWarmReplicas: got 1.5, allowed: an integer/,
    );
    expect(() => parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, upperQuantile: 0.2 })).toThrow(/upperQuantile/);
  });

  it('upperQuantileMax: the quantile itself by default (tuning off), never below it', () => {
    expect(parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1 }).upperQuantileMax).toBe(0.93);
    expect(parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, upperQuantile: 0.95 }).upperQuantileMax).toBe(0.95);
    expect(
      parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, upperQuantile: 0.9, upperQuantileMax: 0.99 })
        .upperQuantileMax,
    ).toBe(0.99);
    expect(() =>
      parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, upperQuantile: 0.95, upperQuantileMax: 0.9 }),
    ).toThrow('upperQuantileMax: got 0.9, allowed: a number in [upperQuantile (0.95), 0.999]');
    expect(() => parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, upperQuantileMax: 1 })).toThrow(
      /upperQuantileMax: got 1/,
    );
  });

  it('releaseQuantile: the higher of upperQuantile and 0.97 by default, never below upperQuantile', () => {
    expect(parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1 }).releaseQuantile).toBe(0.97);
    expect(parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, upperQuantile: 0.98 }).releaseQuantile).toBe(0.98);
    expect(parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, releaseQuantile: 0.93 }).releaseQuantile).toBe(0.93);
    expect(() =>
      parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, upperQuantile: 0.95, releaseQuantile: 0.94 }),
    ).toThrow('releaseQuantile: got 0.94, allowed: a number in [upperQuantile (0.95), 0.999]');
    expect(() => parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, releaseQuantile: 'high' })).toThrow(
      /releaseQuantile/,
    );
  });
});

describe('mode', () => {
  it('is absent unless set (act is the default), and takes act or advise only', () => {
    const base = { name: 'llama', capacityPerReplicaPerS: 10 };
    expect(parseModelSpec(base).mode).toBeUndefined();
    expect(parseModelSpec({ ...base, mode: 'advise' }).mode).toBe('advise');
    expect(parseModelSpec({ ...base, mode: 'act' }).mode).toBe('act');
    expect(() => parseModelSpec({ ...base, mode: 'watch' })).toThrow(/mode.*one of act, advise/);
  });
});
