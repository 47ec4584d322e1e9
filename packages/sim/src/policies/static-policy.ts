import type { SimPolicy, SimPolicyFactory } from './sim-policy.js';

/** Peak capacity provisioned all the time: `peakReplicas` from second 0 (never violates, costs the most). */
export const staticPolicy: SimPolicyFactory = (config): SimPolicy => ({
  name: 'static',
  initialReplicas: () => config.peakReplicas,
  desired: () => config.peakReplicas,
});
