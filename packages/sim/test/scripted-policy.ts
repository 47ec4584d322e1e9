import { SeededRandom } from '@warmpool/domain';
import type { SimConfig, SimPolicy, SimPolicyFactory } from '../src/policies/sim-policy.js';

/** A policy that replays a fixed schedule: `wants[t]` replicas alive at second t (last value after the end). */
export function scriptedPolicy(
  wants: readonly number[],
  options: { initial?: number; releaseOrder?: 'warming-first' | 'ready-first'; name?: string } = {},
): SimPolicyFactory {
  return (): SimPolicy => ({
    name: options.name ?? 'scripted',
    ...(options.releaseOrder ? { releaseOrder: options.releaseOrder } : {}),
    ...(options.initial !== undefined ? { initialReplicas: () => options.initial! } : {}),
    desired: (view) => wants[Math.min(view.now, wants.length - 1)] ?? 0,
  });
}

/** A SimConfig with explicit capacity (no normalization), for hand-checked fixtures. */
export function fixedConfig(over: Partial<SimConfig> = {}): SimConfig {
  return {
    leadS: 2,
    capacityPerS: 1,
    targetUtil: 0.7,
    minReplicas: 0,
    maxReplicas: 3,
    queue: false,
    peakReplicas: 3,
    binS: 1,
    ...over,
  };
}

/** Deterministic PRNG (mulberry32) for reproducible random fixtures. */
export function mulberry32(seed: number): () => number {
  return new SeededRandom(seed).fn;
}
