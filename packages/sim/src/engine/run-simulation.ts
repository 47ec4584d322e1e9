import { LatencyQueue } from './latency-queue.js';
import { ObservedDemand } from './observed-demand.js';
import { ReplicaPool } from './replica-pool.js';
import { replicasFor, unservedRequests } from './serving.js';
import type { SimResult } from './sim-result.js';
import type { SimConfig, SimPolicyFactory, SimView } from '../policies/sim-policy.js';

/** Replicas the first `leadS` seconds need at full capacity: nobody can provision faster. */
export function initialReplicas(demand: Float64Array, config: SimConfig): number {
  let peak = 0;
  const end = Math.min(demand.length, Math.max(1, config.leadS));
  for (let s = 0; s < end; s++) if (demand[s]! > peak) peak = demand[s]!;
  const need = replicasFor(peak, config.capacityPerS);
  return Math.min(config.maxReplicas, Math.max(config.minReplicas, need));
}

export interface RunOptions {
  readonly traceName: string;
  /** Clock for `simMs` only (injected so results are reproducible in tests). */
  readonly nowMs?: () => number;
  /** Called every second with the alive, ready count and violating requests (for plots and tests). */
  readonly onSecond?: (t: number, alive: number, ready: number, violating: number) => void;
}

/**
 * Replays per-second demand against a policy. Per second t: warming replicas that finished become ready,
 * the policy decides (seeing demand before t), new replicas are requested (cost from t, ready at t + lead)
 * or released, then the ready replicas serve: violating = demand above ready x capacity, beyond floating-point
 * noise (`unservedRequests`) (with `queue`,
 * unserved requests wait in a backlog and every request served from it counts as violating).
 * Alongside, the latency-SLO queueing model (`LatencyQueue`) counts the requests whose wait + service time exceeds the
 * latency target (`sloViolatingRequests`).
 * Cost = replica-seconds alive (from request to release).
 */
export function runSimulation(
  demand: Float64Array,
  config: SimConfig,
  factory: SimPolicyFactory,
  options: RunOptions,
): SimResult {
  const clock = options.nowMs ?? (() => performance.now());
  const started = clock();
  const policy = factory(config, demand);
  const order = policy.releaseOrder ?? 'warming-first';
  const pool = new ReplicaPool();
  const def = initialReplicas(demand, config);
  pool.ready = policy.initialReplicas ? policy.initialReplicas(config, def) : def;
  const observed = new ObservedDemand(demand);
  let backlog = 0;
  const latency = new LatencyQueue((config.latencyTargetS ?? 0.5) - (config.serviceS ?? 0.25));
  const view: SimView & { now: number; ready: number; warming: number; backlog: number } = {
    now: 0,
    ready: 0,
    warming: 0,
    backlog: 0,
    readyBy: (t: number) => pool.readyBy(t),
    observed,
  };
  const cap = config.capacityPerS;
  let total = 0;
  let violating = 0;
  let replicaSeconds = 0;
  let scaleUps = 0;
  let maxAlive = pool.alive;
  for (let t = 0; t < demand.length; t++) {
    pool.promote(t);
    observed.now = t;
    view.now = t;
    view.ready = pool.ready;
    view.warming = pool.warming;
    view.backlog = backlog;
    const want = Math.min(config.maxReplicas, Math.max(config.minReplicas, Math.ceil(policy.desired(view))));
    const alive = pool.alive;
    if (want > alive) {
      pool.request(want - alive, t + config.leadS);
      scaleUps++;
      pool.promote(t);
    } else if (want < alive) {
      pool.release(alive - want, order);
    }
    const capacity = pool.ready * cap;
    const arriving = demand[t]!;
    total += arriving;
    let v: number;
    if (config.queue) {
      const fromBacklog = Math.min(backlog, capacity);
      backlog -= fromBacklog;
      const waiting = unservedRequests(arriving, capacity - fromBacklog);
      backlog += waiting;
      v = fromBacklog;
      violating += fromBacklog;
    } else {
      v = unservedRequests(arriving, capacity);
      violating += v;
    }
    latency.second(arriving, capacity);
    replicaSeconds += pool.alive;
    if (pool.alive > maxAlive) maxAlive = pool.alive;
    options.onSecond?.(t, pool.alive, pool.ready, v);
  }
  violating += backlog; // never served before the trace ended
  return {
    trace: options.traceName,
    policy: policy.name,
    durationS: demand.length,
    totalRequests: total,
    violatingRequests: violating,
    violatingFraction: total > 0 ? violating / total : 0,
    sloViolatingRequests: latency.finish(),
    sloViolatingFraction: total > 0 ? latency.violating / total : 0,
    replicaSeconds,
    costVsOracle: Number.NaN,
    scaleUps,
    maxReplicas: maxAlive,
    capacityPerReplicaPerS: cap,
    leadS: config.leadS,
    simMs: clock() - started,
  };
}
