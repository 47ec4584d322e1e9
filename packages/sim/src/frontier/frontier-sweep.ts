import type { SimConfig, SimPolicyFactory } from '../policies/sim-policy.js';

/** One policy's main knob swept: the values, the default, and how a value becomes a run. */
export interface FrontierSweep {
  readonly policy: string;
  /** The knob's name as printed (`target utilization`, `risk`, `window s x (1 + headroom)`). */
  readonly knob: string;
  readonly values: readonly string[];
  /** The value the policy runs with by default (marked in the table); for predictive, the point compared. */
  readonly defaultValue?: string;
  /** The policy and the config it runs under for one value (baselines' utilization targets live in the config). */
  run(value: string, config: SimConfig): { factory: SimPolicyFactory; config: SimConfig };
}
