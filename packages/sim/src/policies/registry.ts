import { createForecaster } from '@warmpool/forecast';
import { awsPredictivePolicy } from './aws-predictive-policy.js';
import { hpaPolicy } from './hpa-policy.js';
import { kpaPolicy } from './kpa-policy.js';
import { oraclePolicy } from './oracle-policy.js';
import { predictivePolicy } from './predictive-policy.js';
import { recentMaxPolicy } from './recent-max-policy.js';
import { staticPolicy } from './static-policy.js';
import type { SimPolicyFactory } from './sim-policy.js';

/** warmpool's policy as the CLI and benchmarks run it: the ensemble forecaster and the daemon's planner defaults. */
export const predictive: SimPolicyFactory = predictivePolicy({
  makeForecaster: (quantile, stepS) => createForecaster('ensemble', { quantile, stepS }),
});

/** Every policy the simulator knows, by CLI name. */
export const POLICIES: Readonly<Record<string, SimPolicyFactory>> = {
  predictive,
  hpa: hpaPolicy,
  kpa: kpaPolicy,
  'aws-predictive': awsPredictivePolicy,
  'recent-max': recentMaxPolicy,
  static: staticPolicy,
  oracle: oraclePolicy,
};

export const POLICY_NAMES: readonly string[] = Object.keys(POLICIES);
