import { replicasFor } from '../engine/serving.js';
import type { SimConfig } from './sim-policy.js';

/**
 * The cheapest zero-violation replica schedule for a known demand series under the engine's semantics
 * (a replica requested at second s costs from s and serves from s + lead; initial replicas are ready at 0).
 *
 * Method. Let n(t) = clamp(replicasFor(d(t)), minReplicas, maxReplicas), the replicas that must be READY at t
 * (replicasFor: the fewest that leave no request unserved, with the engine's own comparison).
 * The schedule keeps alive r(t) = max { n(u) : t <= u <= min(T - 1, t + lead) }: a sliding-window maximum,
 * computed in O(T) with a monotone deque.
 *
 * Why this is the level construction of the issue. Cost decomposes by level: sum_t r(t) = sum_k |{t : r(t) >= k}|.
 * Level k is needed on N_k = {t : n(t) >= k}, and {t : r(t) >= k} = W_k = union over u in N_k of
 * [max(0, u - lead), u]. W_k is exactly "fill every gap of N_k of at most lead seconds, request each remaining
 * interval lead seconds before it starts (or hold it from second 0 when it starts before `lead`), release right
 * after it ends": a gap of g <= lead seconds before an interval starting at a lies inside [a - lead, a], a longer gap
 * is covered only on its last lead seconds. The sets are nested (N_k shrinks with k, so W_k does), so the counts
 * r(t) describe one schedule with one replica per level.
 *
 * Lower bound (any zero-violation schedule costs at least sum_t r(t)). Take any run of the engine and any second u.
 * Every replica READY at u was requested at u - lead or earlier (or is an initial replica, alive from 0) and has
 * been alive ever since, so alive(t) >= ready(u) >= n(u) for all t in [max(0, u - lead), u]. Hence
 * {t : alive(t) >= k} contains W_k for every k, and cost = sum_k |{t : alive(t) >= k}| >= sum_k |W_k| = sum_t r(t).
 *
 * Feasibility (the engine, asked for r(t) every second, has n(t) ready at every t).
 * (1) No release meets a warming replica. A release at t means r(t) < r(t - 1), so r(t - 1) = n(t - 1) (the value
 * leaving the window) and r(t) < n(t - 1). A replica warming at t was requested at some s in (t - lead, t), when
 * r(s) > r(s - 1) (or, at s = 0, r(0) > the initial count), so n(s + lead) > r(s - 1) >= n(t - 1) (t - 1 lies in
 * [s - 1, s - 1 + lead]; at s = 0 the initial count covers n(t - 1)); but s + lead lies in [t, t + lead], so
 * n(s + lead) <= r(t) < n(t - 1): a contradiction. So releases only drop ready replicas, in either release order.
 * (2) Fix t >= lead and m = min { r(v) : t - lead <= v <= t }. After the decision at t - lead, r(t - lead) >= m
 * replicas requested at t - lead or earlier ("old") are alive. A replica requested after t - lead is still warming
 * at any release time v <= t, and by (1) there is none then, so every release in (t - lead, t] leaves r(v) >= m
 * replicas, all old. Hence at least m old replicas, ready by t, are alive at t; and every window [v, v + lead] with
 * v in [t - lead, t] contains t, so m >= n(t). For t < lead the initial replicas (max n over [0, lead), which is
 * >= n(t)) play the old ones' part with the same argument. So ready(t) >= n(t): zero violations (with `queue`
 * too: no request ever waits, so the backlog stays empty).
 *
 * If some n(t) is capped by maxReplicas no schedule avoids violations there; the schedule stays the cheapest
 * one that has at least n(t) ready at every t.
 */
export class OracleSchedule {
  /** Replicas to keep alive (ready + warming) at each second. */
  readonly alive: Int32Array;
  /** Replicas that must be ready at second 0 (what the first lead seconds need). */
  readonly initial: number;
  /** Replica-seconds of the schedule (what the engine will count). */
  readonly replicaSeconds: number;

  constructor(demand: Float64Array, config: Pick<SimConfig, 'leadS' | 'capacityPerS' | 'minReplicas' | 'maxReplicas'>) {
    const len = demand.length;
    // a replica requested at s is ready from the first whole second >= s + leadS
    const leadS = Math.max(0, Math.ceil(config.leadS));
    const need = new Int32Array(len);
    for (let t = 0; t < len; t++) {
      const n = replicasFor(demand[t]!, config.capacityPerS);
      need[t] = Math.min(config.maxReplicas, Math.max(config.minReplicas, n));
    }
    const alive = new Int32Array(len);
    // Sliding maximum of need over [t, t + lead], scanning t downwards: the deque holds indices with strictly
    // decreasing need from front (largest) to back.
    const deque = new Int32Array(len);
    let head = 0;
    let tail = 0;
    let next = len - 1; // next index to push (we push u = t + lead down to t)
    for (let t = len - 1; t >= 0; t--) {
      const hi = Math.min(len - 1, t + leadS);
      while (next >= t) {
        const v = need[next]!;
        while (tail > head && need[deque[tail - 1]!]! <= v) tail--;
        deque[tail++] = next;
        next--;
      }
      while (deque[head]! > hi) head++;
      alive[t] = need[deque[head]!]!;
    }
    let initial = config.minReplicas;
    for (let t = 0; t < Math.min(len, Math.max(1, leadS)); t++) if (need[t]! > initial) initial = need[t]!;
    let cost = 0;
    for (let t = 0; t < len; t++) cost += alive[t]!;
    this.alive = alive;
    this.initial = Math.min(config.maxReplicas, initial);
    this.replicaSeconds = cost;
  }
}
