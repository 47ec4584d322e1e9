import { WarmpoolError } from '@warmpool/domain';
import { runSimulation, type RunOptions } from './run-simulation.js';
import type { SimResult } from './sim-result.js';
import type { SimConfig, SimPolicyFactory } from '../policies/sim-policy.js';

/**
 * Runs the named policies on one demand series and fills `costVsOracle` from an oracle run in the same call
 * (the oracle is run even when not asked for, and reported only when asked for).
 */
export function simulatePolicies(
  demand: Float64Array,
  config: SimConfig,
  names: readonly string[],
  registry: Readonly<Record<string, SimPolicyFactory>>,
  options: RunOptions,
): SimResult[] {
  for (const n of names) {
    if (!registry[n])
      throw new WarmpoolError('E_UNKNOWN_POLICY', `unknown policy "${n}" (known: ${Object.keys(registry).join(', ')})`);
  }
  const results = new Map<string, SimResult>();
  const oracle = registry['oracle'];
  let oracleCost = Number.NaN;
  if (oracle) {
    const r = runSimulation(demand, config, oracle, options);
    results.set('oracle', r);
    oracleCost = r.replicaSeconds;
  }
  return names.map((n) => {
    const r = results.get(n) ?? runSimulation(demand, config, registry[n]!, options);
    return { ...r, costVsOracle: oracleCost > 0 ? r.replicaSeconds / oracleCost : Number.NaN };
  });
}
