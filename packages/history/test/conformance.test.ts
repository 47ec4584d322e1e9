import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistorySource, StepObservation } from '@warmpool/domain';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHistorySource } from '../src/create-history-source.js';
import { RedisDemandCounter } from '../src/redis/redis-demand-counter.js';
import { csvOf, expectedSteps, openMetricsOf, sameSteps, syntheticCounts } from './support/demand-fixture.js';
import { RealPrometheus, describeWithPrometheus } from './support/real-prometheus.js';
import { REDIS_URL, deleteKeys, describeWithRedis, freshPrefix } from './support/redis-env.js';

/**
 * The same demand written into each backend (Redis counters, a CSV trace, a Prometheus backfill) must
 * read back as the same StepObservation[] through the HistorySource port, gaps included.
 */
const SECONDS = 2 * 3600;
const T0 = Math.floor(Date.now() / 1000 / 3600) * 3600 - 4 * 3600; // recent (Prometheus retention), hour-aligned
const counts = syntheticCounts(SECONDS);
const FROM = T0 - 600;
const TO = T0 + SECONDS + 600;
const STEP_S = 60;
const truth = expectedSteps(counts, T0, FROM, TO, STEP_S);

function conformance(make: () => Promise<{ source: HistorySource; cleanup: () => Promise<void> }>): void {
  let source: HistorySource;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ source, cleanup } = await make());
  }, 60_000);
  afterAll(async () => {
    await source?.close();
    await cleanup?.();
  });

  it('reads the demand at stepS 60 as the per-second truth: mean, one-second peak, gaps before and after', async () => {
    const steps: StepObservation[] = await source.read('llama', FROM, TO, STEP_S);
    expect(sameSteps(steps, truth)).toEqual([]);
    expect(steps.filter((s) => Number.isNaN(s.meanPerS))).toHaveLength(20);
    expect(steps.filter((s) => s.meanPerS === 0).length).toBeGreaterThan(0); // silent minutes are zero, not gaps
  });

  it('a model with no history reads as all gaps, without throwing', async () => {
    const steps = await source.read('unknown-model', FROM, FROM + 600, STEP_S);
    expect(steps.map((s) => s.startS)).toEqual(truth.slice(0, 10).map((s) => s.startS));
    expect(steps.every((s) => Number.isNaN(s.meanPerS) && Number.isNaN(s.peakPerS))).toBe(true);
  });

  it('an empty range reads as no steps', async () => {
    expect(await source.read('llama', T0, T0, STEP_S)).toEqual([]);
  });
}

describeWithRedis('HistorySource conformance: redis', () => {
  conformance(async () => {
    const prefix = freshPrefix('conformance');
    const counter = new RedisDemandCounter({ redis: REDIS_URL, prefix });
    try {
      await counter.recordMany(
        'llama',
        counts.map((count, k) => ({ atS: T0 + k, count })),
      );
    } finally {
      await counter.close();
    }
    return {
      source: createHistorySource({ kind: 'redis', url: REDIS_URL, prefix }),
      cleanup: () => deleteKeys(prefix),
    };
  });
});

describe('HistorySource conformance: csv', () => {
  conformance(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warmpool-conf-'));
    await writeFile(join(dir, 'llama.csv'), csvOf(counts));
    return {
      source: createHistorySource({ kind: 'csv', directory: dir, epochOffsetS: T0 }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  });
});

describeWithPrometheus('HistorySource conformance: prometheus', () => {
  conformance(async () => {
    const prom = await RealPrometheus.start(openMetricsOf({ llama: { startS: T0, counts } }));
    // A gauge of requests in the last second, sampled at the end of each second; the window
    // (t - 60 s, t] holds exactly the 60 samples of the step ending at t on both closed and left-open ranges.
    const source = createHistorySource({
      kind: 'prometheus',
      url: prom.url,
      query: 'sum(avg_over_time(warmpool_demand_last_second{model="{{model}}"}[59s999ms]))',
      peakQuery: 'max(max_over_time(warmpool_demand_last_second{model="{{model}}"}[59s999ms]))',
      maxPointsPerQuery: 50, // several chunks per read
      retries: 0,
    });
    return { source, cleanup: () => prom.stop() };
  });
});
