import { describe, expect, it } from 'vitest';
import { bestAtCost, paretoFrontier, sweepFrontier, type FrontierPoint } from '../src/frontier/frontier.js';
import { parseModelSpec } from '@warmpool/domain';
import { FRONTIER_MISS_COSTS, baselineSweeps, predictiveSweep } from '../src/frontier/default-sweeps.js';
import { renderFrontierPoints, renderFrontierSummary } from '../src/frontier/frontier-markdown.js';
import { oraclePolicy } from '../src/policies/oracle-policy.js';
import { predictivePolicy } from '../src/policies/predictive-policy.js';
import { createForecaster } from '@warmpool/forecast';
import { staticPolicy } from '../src/policies/static-policy.js';
import { simConfigFor } from '../src/engine/sim-config.js';

const pt = (policy: string, value: string, costVsOracle: number, violatingRequests: number): FrontierPoint => ({
  policy,
  value,
  isDefault: false,
  replicaSeconds: costVsOracle * 100,
  costVsOracle,
  violatingRequests,
  sloViolatingRequests: violatingRequests,
  totalRequests: 1000,
  simMs: 0,
});

describe('frontier', () => {
  it('best at no more cost, and the Pareto frontier', () => {
    const pts = [pt('a', '1', 1.0, 50), pt('a', '2', 1.2, 10), pt('a', '3', 1.3, 20), pt('a', '4', 1.5, 0)];
    expect(bestAtCost(pts, 0.9, 'violatingRequests')).toBeUndefined();
    expect(bestAtCost(pts, 1.25, 'violatingRequests')!.value).toBe('2');
    expect(bestAtCost(pts, 2, 'violatingRequests')!.value).toBe('4');
    expect(paretoFrontier(pts, 'violatingRequests').map((p) => p.value)).toEqual(['1', '2', '4']);
  });

  it('sweeps every baseline knob and compares the predictive default with the best baseline at its cost', () => {
    const demand = Float64Array.from({ length: 1200 }, (_, t) => (t % 300 < 20 ? 30 : 2));
    const config = simConfigFor(demand, 1, { leadS: 10 });
    const sweeps = [
      {
        policy: 'predictive',
        knob: 'k',
        values: ['static'],
        defaultValue: 'static',
        run: (_v: string, c: typeof config) => ({ factory: staticPolicy, config: c }),
      },
      ...baselineSweeps(),
    ];
    const r = sweepFrontier(demand, config, sweeps, oraclePolicy, { traceName: 'bursts', nowMs: () => 0 });
    expect(r.points.filter((p) => p.policy === 'hpa')).toHaveLength(7);
    expect(r.points.filter((p) => p.policy === 'recent-max')).toHaveLength(20);
    expect(r.verdicts.map((v) => v.metric)).toEqual(['violatingRequests', 'sloViolatingRequests']);
    const fluid = r.verdicts[0]!;
    // static keeps the peak: 0 violations, so it meets the target whatever the baseline has.
    expect(fluid.predictive.violatingRequests).toBe(0);
    expect(fluid.meetsRatio).toBe(true);
    const best = fluid.bestBaseline!;
    expect(best.costVsOracle).toBeLessThanOrEqual(fluid.predictive.costVsOracle);
    expect(renderFrontierSummary([r])).toContain('| bursts | fluid |');
    expect(renderFrontierPoints([r])).toContain('| bursts | recent-max |');
  });

  it("predictive's risk knob values are all valid specs and run, the cheap end (quantile just above 0.5) included", () => {
    for (const v of FRONTIER_MISS_COSTS)
      expect(
        parseModelSpec({ name: 'm', capacityPerReplicaPerS: 1, missCostServedRequests: Number(v) }).upperQuantile,
      ).toBeGreaterThan(0.5);
    // 1-s traffic planned in 5-s steps: the band's quantile is the knob's own (the step is shorter than the lead time)
    const demand = Float64Array.from({ length: 3600 }, (_, t) => 20 + 10 * Math.sin(t / 300) + (t % 97 < 5 ? 15 : 0));
    const config = simConfigFor(demand, 1, { leadS: 45 });
    const sweep = { ...predictiveSweep(), values: ['2.1', '2.25', '1000'] };
    const r = sweepFrontier(demand, config, [sweep], oraclePolicy, { traceName: 'cheap', nowMs: () => 0 });
    const byValue = new Map(r.points.map((p) => [p.value, p]));
    for (const v of sweep.values) expect(Number.isFinite(byValue.get(v)!.costVsOracle)).toBe(true);
    // the cheapest knob spends less than the most expensive and misses more
    expect(byValue.get('2.1')!.costVsOracle).toBeLessThan(byValue.get('1000')!.costVsOracle);
    expect(byValue.get('2.1')!.violatingRequests).toBeGreaterThan(byValue.get('1000')!.violatingRequests);
    // the knob sets the release quantile too: held at 0.97 instead, the near-median band's release is widened ~31x
    const held = {
      policy: 'predictive',
      knob: 'release',
      values: ['0.97'],
      defaultValue: '0.97',
      run: (_v: string, c: typeof config) => ({
        factory: predictivePolicy({ missCostServedRequests: 2.1, releaseQuantile: 0.97, makeForecaster }),
        config: c,
      }),
    };
    const makeForecaster = (quantile: number, stepS: number) => createForecaster('ensemble', { quantile, stepS });
    const r97 = sweepFrontier(demand, config, [held], oraclePolicy, { traceName: 'cheap', nowMs: () => 0 });
    expect(byValue.get('2.1')!.costVsOracle).toBeLessThan(r97.points[0]!.costVsOracle);
  });
});
