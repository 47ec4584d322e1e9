import { describe, expect, it } from 'vitest';
import { createForecaster } from '@warmpool/forecast';
import { runSimulation } from '../src/engine/run-simulation.js';
import { simConfigFor } from '../src/engine/sim-config.js';
import { sparseBurstyDemand } from '../src/trace/sparse-bursty-demand.js';
import { predictivePolicy } from '../src/policies/predictive-policy.js';
import { oraclePolicy } from '../src/policies/oracle-policy.js';

describe('predictive on sparse bursty traffic: the burst rules', () => {
  it('bound the panic (no escalation far past what bursts need) and miss fewer requests than the forecast rules alone', () => {
    const demand = sparseBurstyDemand(43200, 11);
    const config = simConfigFor(demand, 1, { leadS: 45 });
    const makeForecaster = (quantile: number, stepS: number) => createForecaster('ensemble', { quantile, stepS });
    const opts = { traceName: 'bursty', nowMs: () => 0 };
    const withRules = runSimulation(demand, config, predictivePolicy({ makeForecaster }), opts);
    const without = runSimulation(
      demand,
      config,
      predictivePolicy({ makeForecaster, planner: { burstMaxBusyShare: 0 } }),
      opts,
    );
    const oracle = runSimulation(demand, config, oraclePolicy, opts);
    // Measured (seed 11, 12 h): oracle at most 14 replicas; forecast rules alone escalate to 46 and miss 27,730 requests;
    // with the burst rules at most 25 and 6,231 missed (at 1.7x the replica-seconds: held through the gaps).
    expect(without.maxReplicas).toBeGreaterThan(3 * oracle.maxReplicas);
    expect(withRules.maxReplicas).toBeLessThan(0.6 * without.maxReplicas);
    expect(withRules.violatingRequests).toBeLessThan(0.3 * without.violatingRequests);
  }, 120_000);
});
