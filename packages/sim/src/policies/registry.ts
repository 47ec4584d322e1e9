import { awsPredictivePolicy } from './aws-predictive-policy.js';
import { hpaPolicy } from './hpa-policy.js';
import { kpaPolicy } from './kpa-policy.js';
import { oraclePolicy } from './oracle-policy.js';
import { staticPolicy } from './static-policy.js';
import type { SimPolicyFactory } from './sim-policy.js';

/** Every policy the simulator knows, by CLI name. */
export const POLICIES: Readonly<Record<string, SimPolicyFactory>> = {
  hpa: hpaPolicy,
  kpa: kpaPolicy,
  'aws-predictive': awsPredictivePolicy,
  static: staticPolicy,
  oracle: oraclePolicy,
};

export const POLICY_NAMES: readonly string[] = Object.keys(POLICIES);
