import { describe, expect, it } from 'vitest';
import { parseCountCsv, ValidationError } from '@warmpool/domain';
import { compressTrace, historyCsv } from '../src/world/compressed-history.js';
import { resolveWorldOptions } from '../src/world/local-world-options.js';
import { main } from '../src/main.js';

describe('compressTrace', () => {
  it('sums the trace seconds each wall second covers, scaled (what the load generator sends)', () => {
    const trace = { name: 't', startS: 0, binS: 600, counts: [600, 1200, 0] };
    // 200x: a 600-s bin lasts 3 wall seconds; 600 requests in it at scale 0.5 → 100 per wall second.
    const c = compressTrace(trace, 0, 1800, 200, 0.5).countsPerS;
    expect(c).toEqual([100, 100, 100, 200, 200, 200, 0, 0, 0]);
    // A slice starting inside a bin, with overlaps split pro rata.
    expect(compressTrace(trace, 300, 900, 300, 1).countsPerS).toEqual([300, 600]);
    expect(compressTrace({ name: 's', startS: 0, binS: 1, counts: [1, 2, 3, 4] }, 0, 4, 2, 1).countsPerS).toEqual([
      3, 7,
    ]);
  });

  it('writes a CSV the history source reads back, at the epoch second asked for', () => {
    const text = historyCsv({ countsPerS: [1.5, 2, 0] }, 1_700_000_000);
    const s = parseCountCsv(text, 'h.csv');
    expect(s.startS).toBe(1_700_000_000);
    expect(s.binS).toBe(1);
    expect(Array.from(s.counts)).toEqual([1.5, 2, 0]);
  });
});

describe('resolveWorldOptions', () => {
  it('fills defaults and names every bad option with its value and what is allowed', () => {
    const o = resolveWorldOptions({});
    expect(o.speedX).toBe(600);
    expect(o.historyS).toBe(576);
    expect(o.tracePath).toMatch(/fixtures\/traces\/servegen_m-small_total_600s\.csv$/);
    let err: unknown;
    try {
      resolveWorldOptions({ speedX: -1, maxReplicas: 2, minWarmReplicas: 3, stepS: 1, tickS: 2, model: 'Bad Name' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual([
      'minWarmReplicas',
      'model',
      'speedX',
      'stepS',
    ]);
  });

  it('keeps npm start as it was: predictive, 1x8 and 2x8, one inference at a time with a queue of 32, 45 s scale-down wait', () => {
    const o = resolveWorldOptions({});
    expect(o).toMatchObject({
      upperQuantile: 0.93,
      policy: 'predictive',
      shapes: [
        { batch: 1, seq: 8 },
        { batch: 2, seq: 8 },
      ],
      replicaMaxConcurrency: 1,
      replicaMaxQueue: 32,
      minServiceMs: 0,
      scaleDownStabilizationS: 45,
      startupS: 2,
      warmupBudgetS: 20,
      requestTimeoutMs: 30_000,
      loadMaxConcurrency: 32,
      spikeWindowS: 10,
    });
    const bench = resolveWorldOptions({
      policy: 'hpa',
      shapes: [{ batch: 1, seq: 64 }],
      replicaMaxQueue: 64,
      minServiceMs: 40,
      scaleDownStabilizationS: 20,
      startupS: 3.4,
      loadMaxConcurrency: 512,
      requestTimeoutMs: 10_000,
    });
    expect(bench).toMatchObject({
      policy: 'hpa',
      shapes: [{ batch: 1, seq: 64 }],
      replicaMaxQueue: 64,
      minServiceMs: 40,
      scaleDownStabilizationS: 20,
      startupS: 3.4,
      loadMaxConcurrency: 512,
      requestTimeoutMs: 10_000,
    });
  });

  it('names a bad policy, bad shapes and every bad number with its key and value, all at once', () => {
    let err: unknown;
    try {
      resolveWorldOptions({
        policy: 'vpa' as 'hpa',
        shapes: [
          { batch: 1, seq: 8 },
          { batch: 0, seq: 8 },
          { batch: 2, seq: 1.5 },
        ],
        replicaMaxConcurrency: 0,
        replicaMaxQueue: -1,
        minServiceMs: 2.5,
        scaleDownStabilizationS: Number.NaN,
        startupS: -1,
        warmupBudgetS: 0,
        requestTimeoutMs: 0,
        loadMaxConcurrency: 20_000,
        spikeWindowS: 0,
        upperQuantile: 1,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    expect(Object.keys(byPath).sort()).toEqual(
      [
        'loadMaxConcurrency',
        'minServiceMs',
        'policy',
        'replicaMaxConcurrency',
        'replicaMaxQueue',
        'requestTimeoutMs',
        'scaleDownStabilizationS',
        'shapes[1]',
        'shapes[2]',
        'spikeWindowS',
        'startupS',
        'upperQuantile',
        'warmupBudgetS',
      ].sort(),
    );
    expect(byPath['policy']).toMatchObject({ value: 'vpa', allowed: 'predictive, hpa, kpa' });
    expect(byPath['shapes[1]']!.value).toEqual({ batch: 0, seq: 8 });
    expect(byPath['minServiceMs']).toMatchObject({ value: 2.5, allowed: 'an integer in [0, 600000]' });
    expect(byPath['loadMaxConcurrency']).toMatchObject({ value: 20_000 });
    expect(byPath['upperQuantile']).toMatchObject({ value: 1, allowed: 'a number in (0.5, 0.999]' });
    expect(byPath['scaleDownStabilizationS']!.value).toBeNaN();
    expect((err as ValidationError).message).toMatch(/shapes\[2\]/);
    // 0.5 is the range's open end: the forecaster builds no band at the median, so it is refused here, not later
    for (const key of ['upperQuantile', 'upperQuantileMax', 'releaseQuantile'] as const) {
      expect(() => resolveWorldOptions({ [key]: 0.5 })).toThrow(new RegExp(`${key}.*\\(0\\.5, 0\\.999\\]`));
      expect(resolveWorldOptions({ [key]: 0.51 })[key]).toBe(0.51);
    }
    for (const bad of [[], 'x', Array.from({ length: 65 }, () => ({ batch: 1, seq: 1 }))]) {
      expect(() => resolveWorldOptions({ shapes: bad as never })).toThrow(/shapes/);
    }
  });
});

describe('warmpool start: bad flags', () => {
  it('names the flag, the value and what is allowed (exit 2, nothing started)', async () => {
    const err: string[] = [];
    expect(
      await main(
        ['start', '--speed', 'fast'],
        () => undefined,
        (s) => err.push(s),
      ),
    ).toBe(2);
    expect(err.join('\n')).toMatch(/--speed: got "fast", allowed: a number in/);
    expect(
      await main(
        ['start', '--trace', '/nonexistent/trace.csv'],
        () => undefined,
        (s) => err.push(s),
      ),
    ).toBe(2);
    expect(err.join('\n')).toMatch(/\/nonexistent\/trace\.csv/);
  });
});
