import { runSimulation, type RunOptions } from '../engine/run-simulation.js';
import type { SimConfig, SimPolicyFactory } from '../policies/sim-policy.js';
import type { FrontierSweep } from './frontier-sweep.js';

/** One swept point: a policy at one value of its knob. */
export interface FrontierPoint {
  readonly policy: string;
  readonly value: string;
  readonly isDefault: boolean;
  readonly replicaSeconds: number;
  readonly costVsOracle: number;
  /** Fluid count: requests above the ready capacity in their second. */
  readonly violatingRequests: number;
  /** Queueing model: requests whose wait + service time exceeds the latency target. */
  readonly sloViolatingRequests: number;
  readonly totalRequests: number;
  readonly simMs: number;
}

export type ViolationMetric = 'violatingRequests' | 'sloViolatingRequests';

/** Predictive's default point against the baselines at no more cost, under one violation count. */
export interface FrontierVerdict {
  readonly metric: ViolationMetric;
  readonly predictive: FrontierPoint;
  /** The baseline point with the fewest violations among those costing no more than predictive's default (none: undefined). */
  readonly bestBaseline: FrontierPoint | undefined;
  /** predictive's violations / the best baseline's (0 when both are 0, Infinity when only the baseline's is 0). */
  readonly ratio: number;
  /** Target: ratio <= 0.25, or 0 violations where the baseline has 0. */
  readonly meetsRatio: boolean;
  /** Costs (x oracle) on the grid 1.0, 1.05, ..., 2.0 where predictive's swept frontier has more violations than the best baseline's at no more cost. */
  readonly frontierAboveAtCosts: readonly number[];
  /** Costs on that grid below predictive's cheapest swept point (its knob reaches no point that cheap; counted in `frontierAboveAtCosts` too where a baseline has one). */
  readonly noPointAtCosts: readonly number[];
}

export interface FrontierReport {
  readonly trace: string;
  readonly oracleReplicaSeconds: number;
  readonly points: readonly FrontierPoint[];
  readonly verdicts: readonly FrontierVerdict[];
}

/** Fewest violations among points costing at most `costVsOracle` (Infinity where none does). */
export function bestAtCost(
  points: readonly FrontierPoint[],
  costVsOracle: number,
  metric: ViolationMetric,
): FrontierPoint | undefined {
  let best: FrontierPoint | undefined;
  for (const p of points) {
    if (p.costVsOracle > costVsOracle + 1e-12) continue;
    if (!best || p[metric] < best[metric] || (p[metric] === best[metric] && p.costVsOracle < best.costVsOracle))
      best = p;
  }
  return best;
}

/** A policy's Pareto frontier: points that no other point of it beats on both cost and violations, cheapest first. */
export function paretoFrontier(points: readonly FrontierPoint[], metric: ViolationMetric): FrontierPoint[] {
  const sorted = [...points].sort((a, b) => a.costVsOracle - b.costVsOracle || a[metric] - b[metric]);
  const out: FrontierPoint[] = [];
  for (const p of sorted) if (out.length === 0 || p[metric] < out[out.length - 1]![metric]) out.push(p);
  return out;
}

const GRID = Array.from({ length: 21 }, (_, i) => Number((1 + i * 0.05).toFixed(2)));

/**
 * Sweeps every policy's knob on one demand series (all runs in this call, under the same config), and compares
 * the `predictive` sweep's default point with the best baseline point at no more cost, for both violation counts.
 * Costs are relative to `oracle` run once here.
 */
export function sweepFrontier(
  demand: Float64Array,
  config: SimConfig,
  sweeps: readonly FrontierSweep[],
  oracle: SimPolicyFactory,
  options: RunOptions,
  predictiveName = 'predictive',
): FrontierReport {
  const oracleCost = runSimulation(demand, config, oracle, options).replicaSeconds;
  const points: FrontierPoint[] = [];
  for (const sweep of sweeps) {
    for (const value of sweep.values) {
      const { factory, config: c } = sweep.run(value, config);
      const r = runSimulation(demand, c, factory, options);
      points.push({
        policy: sweep.policy,
        value,
        isDefault: value === sweep.defaultValue,
        replicaSeconds: r.replicaSeconds,
        costVsOracle: oracleCost > 0 ? r.replicaSeconds / oracleCost : Number.NaN,
        violatingRequests: r.violatingRequests,
        sloViolatingRequests: r.sloViolatingRequests,
        totalRequests: r.totalRequests,
        simMs: r.simMs,
      });
    }
  }
  const mine = points.filter((p) => p.policy === predictiveName);
  const baselines = points.filter((p) => p.policy !== predictiveName);
  const def = mine.find((p) => p.isDefault);
  const verdicts: FrontierVerdict[] = [];
  if (def) {
    for (const metric of ['violatingRequests', 'sloViolatingRequests'] as const) {
      const best = bestAtCost(baselines, def.costVsOracle, metric);
      const b = best ? best[metric] : Number.POSITIVE_INFINITY;
      const v = def[metric];
      const ratio = b > 0 ? v / b : v > 0 ? Number.POSITIVE_INFINITY : 0;
      const above: number[] = [];
      const none: number[] = [];
      for (const c of GRID) {
        const m = bestAtCost(mine, c, metric);
        const o = bestAtCost(baselines, c, metric);
        const mv = m ? m[metric] : Number.POSITIVE_INFINITY;
        const ov = o ? o[metric] : Number.POSITIVE_INFINITY;
        if (!m) none.push(c);
        if (mv > ov) above.push(c);
      }
      verdicts.push({
        metric,
        predictive: def,
        bestBaseline: best,
        ratio,
        meetsRatio: b > 0 ? ratio <= 0.25 : v === 0,
        frontierAboveAtCosts: above,
        noPointAtCosts: none,
      });
    }
  }
  return { trace: options.traceName, oracleReplicaSeconds: oracleCost, points, verdicts };
}
