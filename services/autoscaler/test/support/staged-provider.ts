import {
  WarmpoolError,
  type ReplicaInfo,
  type ReplicaProvider,
  type ReplicaSetState,
  type ScaleRequest,
} from '@warmpool/domain';

/**
 * A provider whose new replicas go provisioning → loading → warming → ready after fixed seconds on the injected
 * clock, applying each idempotency key once (like the real ones). `failGetState` / `failScale` inject errors.
 */
export class StagedProvider implements ReplicaProvider {
  readonly name = 'staged';
  readonly scaleCalls: ScaleRequest[] = [];
  readonly applied: ScaleRequest[] = [];
  failGetState: Map<string, Error> = new Map();
  failScale: Error[] = [];
  closed = false;
  private readonly pools = new Map<
    string,
    { desired: number; replicas: { id: string; requestedAtMs: number }[]; keys: Set<string> }
  >();
  private n = 0;

  constructor(
    initial: Record<string, number>,
    private readonly now: () => number,
    readonly stagesS = { provisioning: 2, loading: 3, warming: 2 },
  ) {
    for (const [m, k] of Object.entries(initial)) {
      this.pools.set(m, {
        desired: k,
        replicas: Array.from({ length: k }, () => ({ id: `${m}-${++this.n}`, requestedAtMs: now() - 3_600_000 })),
        keys: new Set(),
      });
    }
  }

  private phaseOf(r: { requestedAtMs: number }): ReplicaInfo {
    const age = (this.now() - r.requestedAtMs) / 1000;
    const { provisioning, loading, warming } = this.stagesS;
    const total = provisioning + loading + warming;
    if (age >= total)
      return { id: '', phase: 'ready', requestedAtMs: r.requestedAtMs, readyAtMs: r.requestedAtMs + total * 1000 };
    const phase = age < provisioning ? 'provisioning' : age < provisioning + loading ? 'loading' : 'warming';
    return { id: '', phase, requestedAtMs: r.requestedAtMs };
  }

  async getState(model: string): Promise<ReplicaSetState> {
    const f = this.failGetState.get(model);
    if (f) throw f;
    const p = this.pools.get(model);
    if (!p) throw new WarmpoolError('E_UNKNOWN_MODEL', `no model ${model}`);
    return { model, desired: p.desired, replicas: p.replicas.map((r) => ({ ...this.phaseOf(r), id: r.id })) };
  }

  async scale(request: ScaleRequest): Promise<void> {
    this.scaleCalls.push(request);
    const f = this.failScale.shift();
    if (f) throw f;
    const p = this.pools.get(request.model)!;
    if (p.keys.has(request.idempotencyKey)) return;
    p.keys.add(request.idempotencyKey);
    this.applied.push(request);
    p.desired = request.replicas;
    while (p.replicas.length < request.replicas)
      p.replicas.push({ id: `${request.model}-${++this.n}`, requestedAtMs: this.now() });
    if (p.replicas.length > request.replicas) p.replicas.splice(request.replicas);
  }

  /** Someone else resizes the group (kubectl scale, a console click). */
  setDesired(model: string, n: number): void {
    const p = this.pools.get(model)!;
    p.desired = n;
    if (p.replicas.length > n) p.replicas.splice(n);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
