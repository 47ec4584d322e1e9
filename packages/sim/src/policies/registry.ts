import { staticPolicy } from './static-policy.js';
import type { SimPolicyFactory } from './sim-policy.js';

/** Every policy the simulator knows, by CLI name. */
export const POLICIES: Readonly<Record<string, SimPolicyFactory>> = {
  static: staticPolicy,
};

export const POLICY_NAMES: readonly string[] = Object.keys(POLICIES);
