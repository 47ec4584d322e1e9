import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { simConfigFor } from '../src/engine/sim-config.js';
import { simulatePolicies } from '../src/engine/simulate-policies.js';
import { replicasFor } from '../src/engine/serving.js';
import { POLICIES } from '../src/policies/registry.js';
import type { SimConfig } from '../src/policies/sim-policy.js';
import { parseTrace } from '../src/trace/parse-trace.js';
import { perSecondDemand } from '../src/trace/per-second-demand.js';
import { mulberry32 } from './scripted-policy.js';

const FILE = fileURLToPath(new URL('./fixtures/nasa_jul1995_first50h_60s.csv', import.meta.url));

/**
 * The oracle's cost computed literally as the issue describes it, level by level: N_k = {t : n(t) >= k}; fill
 * every gap of N_k of at most lead seconds; each remaining interval [a, b] costs b - a + 1 + lead, or b + 1 when
 * it starts before `lead` (held from second 0 among the initial replicas). O(T x levels): a reference only.
 */
function levelByLevelCost(demand: Float64Array, config: SimConfig): number {
  const need = [...demand].map((d) =>
    Math.min(config.maxReplicas, Math.max(config.minReplicas, replicasFor(d, config.capacityPerS))),
  );
  const top = need.reduce((m, x) => Math.max(m, x), 0);
  let cost = 0;
  for (let k = 1; k <= top; k++) {
    const intervals: [number, number][] = [];
    for (let t = 0; t < need.length; t++) {
      if (need[t]! < k) continue;
      const last = intervals[intervals.length - 1];
      if (last && t - last[1] - 1 <= config.leadS)
        last[1] = t; // gap of at most lead seconds: keep through it
      else intervals.push([t, t]);
    }
    for (const [a, b] of intervals) cost += a < config.leadS ? b + 1 : b - a + 1 + config.leadS;
  }
  return cost;
}

describe('baselines on a real trace slice (NASA-HTTP, first 50 h, 60-s bins)', () => {
  const trace = parseTrace(readFileSync(FILE, 'utf8'), FILE);
  const demand = perSecondDemand(trace);
  const config = simConfigFor(demand, trace.binS, {}); // lead 45 s, 20 peak replicas at 70 %
  const results = simulatePolicies(demand, config, ['hpa', 'kpa', 'aws-predictive', 'static', 'oracle'], POLICIES, {
    traceName: FILE,
    nowMs: () => 0,
  });
  const by = Object.fromEntries(results.map((r) => [r.policy, r]));

  it('replays every request of the file', () => {
    expect(trace.binS).toBe(60);
    expect(demand.length).toBe(50 * 3600);
    const total = trace.counts.reduce((a, b) => a + b, 0);
    for (const r of results) expect(r.totalRequests).toBeCloseTo(total, 6);
  });

  it('oracle: zero violations, the level-by-level cost, and the cheapest zero-violation policy', () => {
    expect(by['oracle']!.violatingRequests).toBe(0);
    expect(by['oracle']!.replicaSeconds).toBe(levelByLevelCost(demand, config));
    expect(by['static']!.violatingRequests).toBe(0);
    expect(by['static']!.replicaSeconds).toBe(20 * demand.length);
    for (const r of results)
      if (r.violatingRequests === 0) expect(r.replicaSeconds).toBeGreaterThanOrEqual(by['oracle']!.replicaSeconds);
    expect(by['static']!.costVsOracle).toBeCloseTo(by['static']!.replicaSeconds / by['oracle']!.replicaSeconds, 12);
  });

  it('the reactive baselines lose requests at a 45 s lead time', () => {
    expect(by['hpa']!.violatingRequests).toBeGreaterThan(0);
    expect(by['kpa']!.violatingRequests).toBeGreaterThan(0);
  });
});

describe('oracle = level-by-level construction on random traces', () => {
  it('agrees on 40 seeded random traces', () => {
    const rnd = mulberry32(99);
    for (let i = 0; i < 40; i++) {
      const T = 1 + Math.floor(rnd() * 400);
      const demand = new Float64Array(T);
      let level = rnd() * 30;
      for (let t = 0; t < T; t++) {
        if (rnd() < 0.05) level = rnd() * 30;
        demand[t] = rnd() < 0.2 ? 0 : level * (0.5 + rnd());
      }
      const config = simConfigFor(demand, 1, { leadS: Math.floor(rnd() * 60), minReplicas: Math.floor(rnd() * 2) });
      const [oracle] = simulatePolicies(demand, config, ['oracle'], POLICIES, { traceName: 'r', nowMs: () => 0 });
      expect(oracle!.violatingRequests).toBe(0);
      expect(oracle!.replicaSeconds).toBe(levelByLevelCost(demand, config));
    }
  });
});
