import type { ReplicaRegistration } from '@warmpool/domain';

/** A replica as the load balancer sees it. */
export interface PoolReplica {
  readonly id: string;
  readonly model: string;
  readonly url: string;
  readonly executionProvider: string;
  readonly registeredAtMs: number;
  /** Requests proxied to it and not finished yet. */
  outstanding: number;
  /** Passed its last /readyz check. Only ready, non-draining replicas get traffic. */
  ready: boolean;
  draining: boolean;
  /** Consecutive failed health checks or connection errors. */
  failures: number;
  lastError: string | undefined;
  /** Smooth weighted round-robin state. */
  current: number;
  /**
   * Epoch ms when `failureThreshold` failed checks took it out of the routing table; undefined while in it. A removed
   * replica is still probed and comes back when its /readyz answers 200 again (or is forgotten after a while).
   */
  removedAtMs: number | undefined;
}

export interface ReplicaPoolOptions {
  /** A new replica's weight grows linearly from `slowStartMinWeight` to 1 over this window; 0 disables slow start. */
  readonly slowStartMs: number;
  readonly slowStartMinWeight: number;
  /** Most replicas (in the table or removed and still probed) at once; a registration past it is refused. */
  readonly maxReplicas: number;
}

export const REPLICA_POOL_DEFAULTS: ReplicaPoolOptions = {
  slowStartMs: 30_000,
  slowStartMinWeight: 0.05,
  maxReplicas: 1024,
};

/**
 * The routing table and the choice of replica (pure given `nowMs`).
 * - Every candidate at full weight: least outstanding requests, ties in rotation.
 * - Some candidate in slow start: smooth weighted round-robin over weight / (outstanding + 1)
 *   (Envoy's least-request-with-weights idea), so a new replica's share of traffic ramps up
 *   linearly with its weight even under sequential load, and a busy replica still gets less.
 */
export class ReplicaPool {
  private readonly replicas = new Map<string, PoolReplica>();
  private rotation = 0;
  readonly options: ReplicaPoolOptions;

  constructor(options: Partial<ReplicaPoolOptions> = {}) {
    this.options = { ...REPLICA_POOL_DEFAULTS, ...options };
  }

  /** Adds or replaces `reg.replicaId`; undefined when the pool is full (`maxReplicas`) and the id is new. */
  register(reg: ReplicaRegistration, nowMs: number): PoolReplica | undefined {
    const existing = this.replicas.get(reg.replicaId);
    if (!existing && this.replicas.size >= this.options.maxReplicas) return undefined;
    const sameEndpoint = existing && existing.url === reg.url && existing.model === reg.model && !existing.draining;
    const replica: PoolReplica = {
      id: reg.replicaId,
      model: reg.model,
      url: reg.url,
      executionProvider: reg.executionProvider,
      registeredAtMs: sameEndpoint ? existing.registeredAtMs : nowMs,
      outstanding: existing?.outstanding ?? 0,
      ready: true,
      draining: false,
      failures: 0,
      lastError: undefined,
      current: 0,
      removedAtMs: undefined,
    };
    this.replicas.set(reg.replicaId, replica);
    return replica;
  }

  get(id: string): PoolReplica | undefined {
    return this.replicas.get(id);
  }

  remove(id: string): PoolReplica | undefined {
    const r = this.replicas.get(id);
    this.replicas.delete(id);
    return r;
  }

  /** Takes a failing replica out of routing; it stays known (and probed) until `restore` or `remove`. */
  markRemoved(r: PoolReplica, nowMs: number): void {
    r.ready = false;
    r.removedAtMs ??= nowMs;
  }

  /** A removed replica answers /readyz again: back in the routing table (warm: its slow-start age is kept). */
  restore(r: PoolReplica): void {
    r.removedAtMs = undefined;
    r.ready = true;
    r.failures = 0;
    r.lastError = undefined;
  }

  get size(): number {
    return this.replicas.size;
  }

  /** Every replica known, removed ones included (see `removedAtMs`). */
  list(model?: string): PoolReplica[] {
    return [...this.replicas.values()].filter((r) => model === undefined || r.model === model);
  }

  /** Slow-start weight in [minWeight, 1]. */
  weight(r: PoolReplica, nowMs: number): number {
    const { slowStartMs, slowStartMinWeight } = this.options;
    if (slowStartMs <= 0) return 1;
    const age = Math.max(0, nowMs - r.registeredAtMs);
    return Math.min(1, Math.max(slowStartMinWeight, age / slowStartMs));
  }

  /** The replica the next request for `model` goes to, or undefined when none is ready. */
  pick(model: string, nowMs: number, exclude: ReadonlySet<string> = new Set()): PoolReplica | undefined {
    const candidates = [...this.replicas.values()].filter(
      (r) => r.model === model && r.ready && !r.draining && r.removedAtMs === undefined && !exclude.has(r.id),
    );
    if (candidates.length === 0) return undefined;
    if (candidates.length === 1) return candidates[0];
    const weights = candidates.map((r) => this.weight(r, nowMs));
    if (weights.every((w) => w >= 1)) {
      const least = Math.min(...candidates.map((r) => r.outstanding));
      const tied = candidates.filter((r) => r.outstanding === least);
      this.rotation = (this.rotation + 1) % 1_000_000;
      return tied[this.rotation % tied.length];
    }
    const effective = candidates.map((r, i) => weights[i]! / (r.outstanding + 1));
    const total = effective.reduce((a, b) => a + b, 0);
    let best = 0;
    candidates.forEach((r, i) => {
      r.current += effective[i]!;
      if (r.current > candidates[best]!.current) best = i;
    });
    candidates[best]!.current -= total;
    return candidates[best];
  }
}
