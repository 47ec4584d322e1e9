import { OracleSchedule } from './oracle-schedule.js';
import type { SimPolicy, SimPolicyFactory } from './sim-policy.js';

/**
 * Knows the future: replays the cheapest zero-violation schedule of {@link OracleSchedule} (the lower bound on
 * replica-seconds; see its doc comment for the construction and the proof). Precomputes in O(T), then O(1) a second.
 */
export const oraclePolicy: SimPolicyFactory = (config, future): SimPolicy => {
  const schedule = new OracleSchedule(future, config);
  return {
    name: 'oracle',
    releaseOrder: 'ready-first',
    initialReplicas: () => schedule.initial,
    desired: (view) => schedule.alive[view.now] ?? config.minReplicas,
  };
};
