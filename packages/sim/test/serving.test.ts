import { describe, expect, it } from 'vitest';
import { runSimulation } from '../src/engine/run-simulation.js';
import { replicasFor, unservedRequests } from '../src/engine/serving.js';
import { fixedConfig, scriptedPolicy } from './scripted-policy.js';

describe('serving arithmetic', () => {
  it('replicasFor is the smallest count that leaves nothing unserved', () => {
    expect(replicasFor(0, 1)).toBe(0);
    expect(replicasFor(1, 1)).toBe(1);
    expect(replicasFor(1.0001, 1)).toBe(2);
    expect(replicasFor(0.3, 0.1)).toBe(3);
    expect(replicasFor(2.1000001, 0.7)).toBe(4);
  });

  it('treats an ulp-size shortfall as served, not as a violation', () => {
    // 3 x 0.7 = 2.0999999999999996 < 2.1 in floating point: exactly enough replicas, short by an ulp
    expect(3 * 0.7 < 2.1).toBe(true);
    expect(unservedRequests(2.1, 3 * 0.7)).toBe(0);
    expect(replicasFor(2.1, 0.7)).toBe(3);
    expect(unservedRequests(2.2, 3 * 0.7)).toBeCloseTo(0.1, 12);
    const r = runSimulation(
      Float64Array.from([2.1, 2.1]),
      fixedConfig({ capacityPerS: 0.7, leadS: 1 }),
      scriptedPolicy([3, 3], { initial: 3 }),
      {
        traceName: 'ulp',
        nowMs: () => 0,
      },
    );
    expect(r.violatingRequests).toBe(0);
    const q = runSimulation(
      Float64Array.from([2.1, 2.1]),
      fixedConfig({ capacityPerS: 0.7, leadS: 1, queue: true }),
      scriptedPolicy([3, 3], { initial: 3 }),
      {
        traceName: 'ulp-queue',
        nowMs: () => 0,
      },
    );
    expect(q.violatingRequests).toBe(0);
  });
});
