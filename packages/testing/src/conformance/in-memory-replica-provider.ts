import {
  ValidationError,
  WarmpoolError,
  type ReplicaInfo,
  type ReplicaProvider,
  type ReplicaSetState,
  type ScaleRequest,
} from '@warmpool/domain';

interface Pool {
  desired: number;
  replicas: ReplicaInfo[];
  readonly appliedKeys: Set<string>;
}

/**
 * The smallest correct ReplicaProvider: replicas in memory, new ones `warming` until
 * `makeReady`. It is the reference the conformance suite is checked against, and a stand-in for
 * planner and daemon tests that need a provider without a cluster. Time is injected.
 */
export class InMemoryReplicaProvider implements ReplicaProvider {
  readonly name = 'in-memory';
  private readonly pools = new Map<string, Pool>();
  private readonly nowMs: () => number;
  private counter = 0;
  private closed = false;
  /** Scale requests that changed something, in order. */
  readonly applied: ScaleRequest[] = [];

  constructor(initial: Readonly<Record<string, number>>, nowMs: () => number = Date.now) {
    this.nowMs = nowMs;
    for (const [model, n] of Object.entries(initial)) {
      const pool: Pool = { desired: 0, replicas: [], appliedKeys: new Set() };
      this.pools.set(model, pool);
      this.resize(model, pool, n);
      this.makeReady(model);
    }
  }

  private pool(model: string): Pool {
    if (this.closed) throw new WarmpoolError('E_PROVIDER_CLOSED', `in-memory provider is closed (model "${model}")`);
    const p = this.pools.get(model);
    if (!p)
      throw new WarmpoolError(
        'E_UNKNOWN_MODEL',
        `no pool for model "${model}" (configured: ${[...this.pools.keys()].join(', ') || 'none'})`,
      );
    return p;
  }

  private resize(model: string, pool: Pool, n: number): void {
    pool.desired = n;
    while (pool.replicas.length < n)
      pool.replicas.push({ id: `${model}-${++this.counter}`, phase: 'warming', requestedAtMs: this.nowMs() });
    if (pool.replicas.length > n) {
      const notReadyFirst = [...pool.replicas].sort(
        (a, b) => Number(a.phase === 'ready') - Number(b.phase === 'ready'),
      );
      const drop = new Set(notReadyFirst.slice(0, pool.replicas.length - n).map((r) => r.id));
      pool.replicas = pool.replicas.filter((r) => !drop.has(r.id));
    }
  }

  async getState(model: string): Promise<ReplicaSetState> {
    const p = this.pool(model);
    return { model, desired: p.desired, replicas: p.replicas.map((r) => ({ ...r })) };
  }

  async scale(request: ScaleRequest): Promise<void> {
    const p = this.pool(request.model);
    if (!Number.isInteger(request.replicas) || request.replicas < 0) {
      throw new ValidationError(
        [{ path: 'replicas', value: request.replicas, allowed: 'an integer >= 0' }],
        `scale request for model "${request.model}"`,
      );
    }
    if (p.appliedKeys.has(request.idempotencyKey)) return;
    p.appliedKeys.add(request.idempotencyKey);
    const ended = new Set((request.replace ?? []).map((r) => r.id));
    // Failed replicas, and those the request replaces, end; resize starts fresh ones in their place.
    p.replicas = p.replicas.filter((r) => r.phase !== 'failed' && !ended.has(r.id));
    this.resize(request.model, p, request.replicas);
    this.applied.push(request);
  }

  /** Another actor changes the size (for the idempotency test). */
  setDesired(model: string, n: number): void {
    this.resize(model, this.pool(model), n);
  }

  /** One replica (the given one, else the oldest ready) fails as a crash would; returns its id. */
  fail(model: string, id?: string, reason = 'crashed'): string {
    const p = this.pool(model);
    const victim = id !== undefined ? p.replicas.find((r) => r.id === id) : p.replicas.find((r) => r.phase === 'ready');
    if (!victim)
      throw new WarmpoolError(
        'E_NO_REPLICA',
        `in-memory provider: no ${id ?? 'ready'} replica of model "${model}" to fail`,
      );
    p.replicas = p.replicas.map((r) =>
      r === victim ? { id: r.id, phase: 'failed', requestedAtMs: r.requestedAtMs, reason } : r,
    );
    return victim.id;
  }

  /** Every replica of the model finishes warm-up now. */
  makeReady(model: string): void {
    const p = this.pool(model);
    const now = this.nowMs();
    p.replicas = p.replicas.map((r) =>
      r.phase === 'ready' || r.phase === 'failed' ? r : { ...r, phase: 'ready', readyAtMs: now },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
