import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseModelSpec } from '@warmpool/domain';
import { planFleet, expectedColdCostS, type FleetModel } from '../src/index.js';

const GiB = 1024 ** 3;
const model = (
  name: string,
  replicas: number,
  demandPerS: number,
  memGiB = 16,
  extra: Record<string, unknown> = {},
): FleetModel => ({
  spec: parseModelSpec({
    name,
    capacityPerReplicaPerS: 10,
    gpuMemoryPerReplicaBytes: memGiB * GiB,
    minWarmReplicas: 0,
    ...extra,
  }),
  plannedReplicas: replicas,
  expectedDemandPerS: demandPerS,
});

describe('planFleet', () => {
  it('keeps hot models on the GPU eagerly and rare ones lazily in host memory when the budget is short', () => {
    const plan = planFleet([model('hot', 3, 25), model('rare', 0, 0.001), model('never', 0, 0)], {
      gpuBudgetBytes: 48 * GiB,
    });
    const byName = Object.fromEntries(plan.tiers.map((t) => [t.model, t]));
    expect(byName.hot).toMatchObject({ tier: 'gpu', gpuReplicas: 3, mode: 'eager' });
    expect(byName.rare).toMatchObject({ tier: 'host', mode: 'lazy' });
    expect(byName.never!.tier).toBe('cold'); // no demand: host memory buys nothing
    expect(plan.gpuBytesUsed).toBe(48 * GiB);
  });

  it('gives spare GPU memory to the rare model whose cold start costs most per byte', () => {
    const plan = planFleet([model('hot', 1, 5), model('rare-small', 0, 0.01, 8), model('rare-big', 0, 0.01, 40)], {
      gpuBudgetBytes: 30 * GiB,
    });
    const tiers = Object.fromEntries(plan.tiers.map((t) => [t.model, t.tier]));
    expect(tiers).toEqual({ hot: 'gpu', 'rare-small': 'gpu', 'rare-big': 'host' });
  });

  it('grants part of a hot model and says the budget decided it', () => {
    const plan = planFleet([model('hot', 5, 50)], { gpuBudgetBytes: 40 * GiB });
    expect(plan.tiers[0]).toMatchObject({ tier: 'gpu', gpuReplicas: 2 });
    expect(plan.tiers[0]!.reasons).toContain('GpuBudget');
    expect(plan.tiers[0]!.message).toMatch(/GPU budget allows 2 of 5/);
  });

  it('serves higher priority first when both are hot', () => {
    const plan = planFleet([model('a', 2, 10, 16, { priority: 0 }), model('b', 2, 10, 16, { priority: 10 })], {
      gpuBudgetBytes: 32 * GiB,
    });
    const tiers = Object.fromEntries(plan.tiers.map((t) => [t.model, t.gpuReplicas]));
    expect(tiers).toEqual({ a: 0, b: 2 });
  });

  it('respects the host budget', () => {
    const plan = planFleet([model('r1', 0, 0.01), model('r2', 0, 0.01)], {
      gpuBudgetBytes: 0,
      hostBudgetBytes: 16 * GiB,
    });
    expect(plan.tiers.map((t) => t.tier).sort()).toEqual(['cold', 'host']);
    expect(plan.hostBytesUsed).toBe(16 * GiB);
  });

  it('a warmer tier never costs more expected cold-start delay', () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.integer({ min: 1, max: 3600 }), (lambda, h) => {
        const s = model('m', 1, lambda).spec;
        const gpu = expectedColdCostS(s, 'gpu', lambda, h);
        const host = expectedColdCostS(s, 'host', lambda, h);
        const cold = expectedColdCostS(s, 'cold', lambda, h);
        expect(gpu).toBe(0);
        expect(host).toBeLessThanOrEqual(cold);
      }),
    );
  });

  it('never exceeds the GPU budget', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            r: fc.integer({ min: 0, max: 6 }),
            d: fc.double({ min: 0, max: 50, noNaN: true }),
            mem: fc.integer({ min: 1, max: 40 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        fc.integer({ min: 0, max: 200 }),
        (ms, budgetGiB) => {
          const plan = planFleet(
            ms.map((m, i) => model(`m${i}`, m.r, m.d, m.mem)),
            { gpuBudgetBytes: budgetGiB * GiB },
          );
          expect(plan.gpuBytesUsed).toBeLessThanOrEqual(budgetGiB * GiB);
          expect(plan.tiers).toHaveLength(ms.length);
        },
      ),
    );
  });
});
