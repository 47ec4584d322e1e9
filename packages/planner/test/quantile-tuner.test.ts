import { describe, expect, it } from 'vitest';
import { parseModelSpec } from '@warmpool/domain';
import { createForecaster } from '@warmpool/forecast';
import { ModelPlanner, QuantileTuner } from '../src/index.js';

const opts = { riskUtilization: 0.9, budget: 0.02, rate: 0.005 };

describe('QuantileTuner', () => {
  it('raises the quantile on ticks at risk and lets it fall back, within [floor, max]', () => {
    const t = new QuantileTuner(0.93, 0.99, opts);
    expect(t.quantile).toBe(0.93);
    // 95 % of the ready capacity: at risk
    t.observe(19, 20);
    expect(t.quantile).toBeCloseTo(0.93 + 0.005 * 0.98, 10);
    for (let i = 0; i < 100; i++) t.observe(19, 20);
    expect(t.quantile).toBe(0.99);
    // 50 % of capacity: quiet, the quantile drifts down by rate * budget per tick
    t.observe(10, 20);
    expect(t.quantile).toBeCloseTo(0.99 - 0.005 * 0.02, 10);
    for (let i = 0; i < 300; i++) t.observe(10, 20);
    expect(t.quantile).toBeCloseTo(0.99 - 301 * 0.0001, 8);
    for (let i = 0; i < 10_000; i++) t.observe(10, 20);
    expect(t.quantile).toBe(0.93);
    expect(t.riskShare).toBeCloseTo(101 / 10_402, 8);
  });

  it('counts demand with nothing ready as at risk, and unknown demand or an idle tick as nothing', () => {
    const t = new QuantileTuner(0.93, 0.99, opts);
    t.observe(1, 0);
    expect(t.quantile).toBeGreaterThan(0.93);
    const q = t.quantile;
    t.observe(Number.NaN, 20);
    t.observe(-1, 20);
    expect(t.quantile).toBe(q);
    t.observe(0, 0);
    expect(t.quantile).toBeLessThan(q);
  });

  it('never goes below a floor above its ceiling', () => {
    const t = new QuantileTuner(0.995, 0.99, opts);
    for (let i = 0; i < 10; i++) t.observe(100, 1);
    expect(t.quantile).toBe(0.995);
  });
});

describe('ModelPlanner quantile tuning', () => {
  const spec = (upperQuantileMax?: number) =>
    parseModelSpec({
      name: 'm',
      capacityPerReplicaPerS: 10,
      horizonS: 2,
      leadTime: { provisionS: 4, loadS: 0, warmupS: 1 },
      ...(upperQuantileMax ? { upperQuantileMax } : {}),
    });

  function run(upperQuantileMax?: number): { planner: ModelPlanner; quantiles: number[] } {
    const planner = new ModelPlanner({
      spec: spec(upperQuantileMax),
      stepS: 2,
      tickS: 1,
      makeForecaster: (quantile, stepS) => createForecaster('ensemble', { quantile, stepS }),
    });
    const quantiles: number[] = [];
    for (let t = 0; t < 200; t++) {
      if (t % 2 === 1) planner.observeStep({ startS: t - 1, meanPerS: 14, peakPerS: t % 20 === 1 ? 19 : 15 });
      // two replicas ready (20/s); a burst to 19/s every 20 s: 95 % of the ready capacity
      const r = planner.tick(t + 1, {
        demandPerS: 14,
        peakPerS: t % 20 === 1 ? 19 : 15,
        readyReplicas: 2,
        warmingReplicas: 0,
      });
      expect(r.decision.bandQuantile).toBe(planner.bandQuantile);
      quantiles.push(planner.bandQuantile);
    }
    return { planner, quantiles };
  }

  it('moves the band quantile up for a model whose bursts reach its capacity; the forecast band follows', () => {
    const { planner, quantiles } = run(0.99);
    expect(quantiles[0]).toBe(0.93);
    // 10 ticks at risk (+0.005 * 0.98 each), 189 quiet ones after the first (-0.005 * 0.02 each; the first is floored)
    expect(planner.tunedQuantile).toBeCloseTo(0.93 + 10 * 0.0049 - 189 * 0.0001, 6);
    expect(planner.bandQuantile).toBeCloseTo(planner.tunedQuantile, 2);
    expect(planner.forecast().quantile).toBe(planner.bandQuantile);
  });

  it('keeps the spec quantile by default (upperQuantileMax equal to it: tuning off)', () => {
    const { planner, quantiles } = run();
    expect(new Set(quantiles)).toEqual(new Set([0.93]));
    expect(planner.tunedQuantile).toBe(0.93);
  });
});

describe('the decision names a raised quantile', () => {
  it('says at which quantile the band was planned and from what it was raised', () => {
    const spec = parseModelSpec({
      name: 'm',
      capacityPerReplicaPerS: 10,
      horizonS: 2,
      leadTime: { provisionS: 4, loadS: 0, warmupS: 1 },
      upperQuantileMax: 0.99,
    });
    const planner = new ModelPlanner({
      spec,
      stepS: 2,
      tickS: 1,
      makeForecaster: (quantile, stepS) => createForecaster('ensemble', { quantile, stepS }),
    });
    const messages: string[] = [];
    for (let t = 0; t < 80; t++) {
      if (t % 2 === 1) planner.observeStep({ startS: t - 1, meanPerS: 14, peakPerS: 19 });
      messages.push(
        planner.tick(t + 1, { demandPerS: 14, peakPerS: t < 40 ? 15 : 19, readyReplicas: 2, warmingReplicas: 0 })
          .decision.message,
      );
    }
    expect(messages[39]).not.toMatch(/raised/);
    // 40 of the 80 ticks at risk (t = 40..79 at 19/s of the 20/s two replicas serve)
    expect(messages[79]).toMatch(
      /forecast upper [\d.]+\/s at q0\.9\d\d \(raised from 0\.93 by SLA pressure: 50\.0 % of ticks at >= 90 % of the ready capacity\)/,
    );
  });
});
