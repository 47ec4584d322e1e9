import { describe, expect, it } from 'vitest';
import { initialReplicas, runSimulation } from '../src/engine/run-simulation.js';
import { simConfigFor } from '../src/engine/sim-config.js';
import { simulatePolicies } from '../src/engine/simulate-policies.js';
import { POLICIES, POLICY_NAMES } from '../src/policies/registry.js';
import { fixedConfig, scriptedPolicy } from './scripted-policy.js';

function trace(demand: number[], wants: number[], over: Parameters<typeof fixedConfig>[0] = {}, initial?: number) {
  const rows: { alive: number; ready: number; violating: number }[] = [];
  const r = runSimulation(
    Float64Array.from(demand),
    fixedConfig(over),
    scriptedPolicy(wants, initial === undefined ? {} : { initial }),
    {
      traceName: 'fixture',
      nowMs: () => 0,
      onSecond: (_t, alive, ready, violating) => rows.push({ alive, ready, violating }),
    },
  );
  return { r, rows };
}

describe('runSimulation accounting', () => {
  it('costs a replica from its request and serves from request + lead', () => {
    // lead 2, capacity 1; start with 0 ready; request 1 at t=1 (ready at 3), release at t=5.
    const { r, rows } = trace([1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 0], { leadS: 2 }, 0);
    expect(rows.map((x) => x.alive)).toEqual([0, 1, 1, 1, 1, 0]);
    expect(rows.map((x) => x.ready)).toEqual([0, 0, 0, 1, 1, 0]);
    expect(rows.map((x) => x.violating)).toEqual([1, 1, 1, 0, 0, 1]);
    expect(r.replicaSeconds).toBe(4); // seconds 1..4
    expect(r.violatingRequests).toBe(4);
    expect(r.totalRequests).toBe(6);
    expect(r.violatingFraction).toBeCloseTo(4 / 6, 12);
    expect(r.scaleUps).toBe(1);
  });

  it('starts with what the first lead seconds need (min/max clamped)', () => {
    const c = fixedConfig({ leadS: 3, capacityPerS: 2, minReplicas: 1, maxReplicas: 3 });
    expect(initialReplicas(Float64Array.from([1, 5, 0, 100]), c)).toBe(3); // peak 5 in 0..2 -> ceil(2.5)
    expect(initialReplicas(Float64Array.from([0, 0, 0, 100]), c)).toBe(1); // min
    expect(initialReplicas(Float64Array.from([0, 9, 0]), c)).toBe(3); // max
  });

  it('releases warming replicas first by default (newest first)', () => {
    // 1 ready initially; request 2 more at t=0 (ready at 2); shrink to 2 at t=1: the warming one goes.
    const { rows } = trace([0, 0, 0, 0], [3, 2, 2, 2], { leadS: 2 }, 1);
    expect(rows.map((x) => [x.alive, x.ready])).toEqual([
      [3, 1],
      [2, 1],
      [2, 2],
      [2, 2],
    ]);
  });

  it('with --queue, unserved requests wait and count as violating when served (or never served)', () => {
    // capacity 1 req/s, 1 ready replica throughout. demand 3 0 0 1 0:
    // t0: serve 1, backlog 2; t1: serve 1 from backlog (violating 1), backlog 1; t2: 1 from backlog (violating 1);
    // t3: 1 fresh served, t4 idle. violating = the 2 requests that waited.
    const { r, rows } = trace([3, 0, 0, 1, 0], [1, 1, 1, 1, 1], { leadS: 2, queue: true }, 1);
    expect(rows.map((x) => x.violating)).toEqual([0, 1, 1, 0, 0]);
    expect(r.violatingRequests).toBe(2);
    // a backlog that outlives the trace counts too: 4 arrive at once, 1 served per second over 2 seconds.
    const end = trace([4, 0], [1, 1], { leadS: 2, queue: true }, 1);
    expect(end.r.violatingRequests).toBe(3); // 1 served from backlog at t1 + 2 never served
    // with the queue, fresh arrivals wait behind the backlog
    const behind = trace([2, 1, 0], [1, 1, 1], { leadS: 2, queue: true }, 1);
    expect(behind.rows.map((x) => x.violating)).toEqual([0, 1, 1]);
    expect(behind.r.violatingRequests).toBe(2);
  });

  it('clamps every wanted count to [minReplicas, maxReplicas]', () => {
    const { rows } = trace([0, 0, 0], [0, 9, 9], { minReplicas: 1, maxReplicas: 2 }, 1);
    expect(rows.map((x) => x.alive)).toEqual([1, 2, 2]);
  });
});

describe('simConfigFor and simulatePolicies', () => {
  it('normalizes capacity so that peakReplicas at targetUtil serve the peak second', () => {
    const c = simConfigFor(Float64Array.from([0, 28, 14]), 1, { peakReplicas: 20, targetUtil: 0.7 });
    expect(c.capacityPerS).toBeCloseTo(2, 12); // 28 / (20 x 0.7)
    expect(c.maxReplicas).toBe(200);
  });

  it('fills costVsOracle from an oracle run and knows every baseline', () => {
    expect(POLICY_NAMES).toEqual(expect.arrayContaining(['hpa', 'kpa', 'aws-predictive', 'static', 'oracle']));
    const demand = new Float64Array(400);
    for (let t = 0; t < 400; t++) demand[t] = t % 100 < 50 ? 20 : 2;
    const config = simConfigFor(demand, 1, { leadS: 10 });
    const results = simulatePolicies(demand, config, ['static', 'oracle', 'hpa'], POLICIES, {
      traceName: 'x',
      nowMs: () => 0,
    });
    const byName = Object.fromEntries(results.map((r) => [r.policy, r]));
    expect(byName['oracle']!.costVsOracle).toBe(1);
    expect(byName['static']!.costVsOracle).toBeCloseTo(
      byName['static']!.replicaSeconds / byName['oracle']!.replicaSeconds,
      12,
    );
    expect(byName['static']!.violatingRequests).toBe(0);
    expect(byName['oracle']!.violatingRequests).toBe(0);
    expect(() => simulatePolicies(demand, config, ['nope'], POLICIES, { traceName: 'x' })).toThrow(
      /unknown policy "nope"/,
    );
  });
});
