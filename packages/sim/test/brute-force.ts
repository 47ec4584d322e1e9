import { runSimulation } from '../src/engine/run-simulation.js';
import type { SimConfig } from '../src/policies/sim-policy.js';
import { scriptedPolicy } from './scripted-policy.js';

export interface BruteForceBest {
  readonly replicaSeconds: number;
  readonly initial: number;
  readonly wants: readonly number[];
  readonly releaseOrder: 'warming-first' | 'ready-first';
}

/**
 * The cheapest zero-violation schedule found by exhaustive search over every per-second schedule: the initial
 * replica count in [0, maxReplicas], each second's wanted count in [minReplicas, maxReplicas], both release
 * orders. Every candidate prefix is run through the real engine (`runSimulation` on the demand prefix), so the
 * semantics are the engine's own; prefixes that already violate, or already cost at least the best complete
 * schedule, are cut (cost only grows and a violation never disappears, with or without the queue).
 * Returns null when no schedule avoids violations.
 */
export function bruteForceMinCost(demand: Float64Array, config: SimConfig): BruteForceBest | null {
  let best: BruteForceBest | null = null;
  const orders = ['warming-first', 'ready-first'] as const;
  const wants: number[] = [];
  const T = demand.length;

  const evaluate = (initial: number, releaseOrder: (typeof orders)[number]) => {
    const r = runSimulation(
      demand.subarray(0, wants.length),
      config,
      scriptedPolicy(wants, { initial, releaseOrder }),
      {
        traceName: 'brute',
        nowMs: () => 0,
      },
    );
    return r;
  };

  const search = (initial: number, releaseOrder: (typeof orders)[number]): void => {
    if (wants.length > 0) {
      const r = evaluate(initial, releaseOrder);
      if (r.violatingRequests > 0) return;
      if (best && r.replicaSeconds >= best.replicaSeconds) return;
      if (wants.length === T) {
        best = { replicaSeconds: r.replicaSeconds, initial, wants: [...wants], releaseOrder };
        return;
      }
    }
    for (let w = config.minReplicas; w <= config.maxReplicas; w++) {
      wants.push(w);
      search(initial, releaseOrder);
      wants.pop();
    }
  };

  for (const order of orders) {
    for (let initial = 0; initial <= config.maxReplicas; initial++) search(initial, order);
  }
  return best;
}
