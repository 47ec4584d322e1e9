import type { PlannerOptions } from '@warmpool/planner';
import { createForecaster, type ForecasterOptions } from '@warmpool/forecast';
import { awsPredictivePolicy } from '../policies/aws-predictive-policy.js';
import { hpaPolicy } from '../policies/hpa-policy.js';
import { predictivePolicy } from '../policies/predictive-policy.js';
import { kpaPolicy } from '../policies/kpa-policy.js';
import { recentMaxPolicyWith } from '../policies/recent-max-policy.js';
import type { SimPolicyFactory } from '../policies/sim-policy.js';
import type { FrontierSweep } from './frontier-sweep.js';

/** The utilization targets HPA, KPA and AWS target tracking are swept over (issue 18: 0.3 to 0.9). */
export const FRONTIER_UTILIZATIONS = ['0.3', '0.4', '0.5', '0.6', '0.7', '0.8', '0.9'] as const;
/** recent-max's window (s) x headroom grid: `W:h`. */
export const FRONTIER_RECENT_MAX = ['30', '60', '120', '300', '600'].flatMap((w) =>
  ['0', '0.25', '0.5', '1'].map((h) => `${w}:${h}`),
);

function utilizationSweep(policy: string, factory: SimPolicyFactory): FrontierSweep {
  return {
    policy,
    knob: 'target utilization',
    values: FRONTIER_UTILIZATIONS,
    defaultValue: '0.7',
    run: (value, config) => ({ factory, config: { ...config, targetUtil: Number(value) } }),
  };
}

/**
 * Every baseline's main knob: HPA and KPA target utilization, AWS predictive scaling's target utilization (its
 * forecast's capacity buffer and its target tracking), and recent-max's window and headroom.
 */
export function baselineSweeps(): FrontierSweep[] {
  return [
    utilizationSweep('hpa', hpaPolicy),
    utilizationSweep('kpa', kpaPolicy),
    utilizationSweep('aws-predictive', awsPredictivePolicy),
    {
      policy: 'recent-max',
      knob: 'window s : headroom',
      values: FRONTIER_RECENT_MAX,
      defaultValue: '600:0.25',
      run: (value, config) => {
        const [w, h] = value.split(':').map(Number);
        return { factory: recentMaxPolicyWith({ windowS: w!, headroom: h! }), config };
      },
    },
  ];
}

/**
 * predictive's risk knob, `missCostServedRequests` (a missed request worth serving this many): quantiles 0.524 to
 * 0.999 (2.1 and 2.25, quantiles 0.524 and 0.556, are the cheap end, just above the median the band refuses).
 */
export const FRONTIER_MISS_COSTS = ['2.1', '2.25', '2.5', '3', '5', '10', '15', '30', '100', '300', '1000'] as const;

/** The default point: no knob set, i.e. what the default upper quantile (0.93) implies, 1 / (1 - 0.93) = 14.3. */
export const DEFAULT_MISS_COST = 'default';

/** predictive's sweep; `planner` and `forecaster` options on top of the defaults (to measure an option against its default). */
export function predictiveSweep(planner?: Partial<PlannerOptions>, forecaster?: ForecasterOptions): FrontierSweep {
  const makeForecaster = (quantile: number, stepS: number) =>
    createForecaster('ensemble', { ...forecaster, quantile, stepS });
  return {
    policy: 'predictive',
    knob: 'missCostServedRequests',
    values: [DEFAULT_MISS_COST, ...FRONTIER_MISS_COSTS],
    defaultValue: DEFAULT_MISS_COST,
    run: (value, config) => ({
      factory: predictivePolicy({
        ...(value === DEFAULT_MISS_COST ? {} : { missCostServedRequests: Number(value) }),
        makeForecaster,
        ...(planner ? { planner } : {}),
      }),
      config,
    }),
  };
}

/** The whole sweep `--frontier` runs: predictive's knob (with `planner` options over the defaults) and every baseline's. */
export function frontierSweeps(planner?: Partial<PlannerOptions>): FrontierSweep[] {
  return [predictiveSweep(planner), ...baselineSweeps()];
}
