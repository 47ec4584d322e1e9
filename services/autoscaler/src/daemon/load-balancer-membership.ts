import {
  WarmpoolError,
  type ReplicaInfo,
  type ReplicaProvider,
  type ReplicaSetState,
  type ScaleRequest,
} from '@warmpool/domain';
import type { WarmTierProvider } from './warm-tier-actor.js';

/** The local load balancer's replica table could not be read: the tick cannot say which replicas serve. */
export class MembershipSourceError extends WarmpoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_LB_MEMBERSHIP', message, options);
  }
}

interface LbReplica {
  readonly replicaId: string;
  readonly ready: boolean;
  readonly draining: boolean;
  readonly removed?: boolean;
}

/**
 * The local provider as the daemon sees it, reconciled every `getState` (every tick) with the load balancer's own
 * table (`GET /replicas?model=M` with the shared token): a replica the provider calls ready counts as ready only while
 * the load balancer routes to it (registered, passing its checks, not removed, not draining); otherwise it is
 * reported as `warming` (alive, not serving). So the ready count the planner uses is the membership traffic goes to,
 * never more than one tick apart. `scale`, `close` and `setWarmTier` (when the provider has it) go to it unchanged.
 */
export class LoadBalancerMembership implements ReplicaProvider {
  readonly name: string;
  private readonly base: string;
  /** Present when the wrapped provider makes warmth tiers act (the local provider's host-tier standbys): forwarded. */
  readonly setWarmTier?: WarmTierProvider['setWarmTier'];

  constructor(
    private readonly inner: ReplicaProvider,
    baseUrl: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 2000,
  ) {
    this.name = inner.name;
    this.base = baseUrl.replace(/\/+$/, '');
    const tiers = inner as ReplicaProvider & Partial<WarmTierProvider>;
    if (typeof tiers.setWarmTier === 'function') this.setWarmTier = (model, tier) => tiers.setWarmTier!(model, tier);
  }

  async getState(model: string): Promise<ReplicaSetState> {
    const state = await this.inner.getState(model);
    const routed = await this.routedIds(model);
    const replicas: ReplicaInfo[] = state.replicas.map((r) =>
      r.phase === 'ready' && !routed.has(r.id) ? { ...r, phase: 'warming' } : r,
    );
    return { ...state, replicas };
  }

  scale(request: ScaleRequest): Promise<void> {
    return this.inner.scale(request);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Ids of the replicas of `model` the load balancer routes to now. */
  private async routedIds(model: string): Promise<Set<string>> {
    const url = `${this.base}/replicas?model=${encodeURIComponent(model)}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: this.token ? { authorization: `Bearer ${this.token}` } : {},
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      throw new MembershipSourceError(`GET ${url}: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    }
    const text = await res.text();
    if (!res.ok) throw new MembershipSourceError(`GET ${url}: HTTP ${res.status}: ${text.slice(0, 200)}`);
    let body: { replicas?: unknown };
    try {
      body = JSON.parse(text) as { replicas?: unknown };
    } catch (err) {
      throw new MembershipSourceError(`GET ${url}: answer is not JSON: ${text.slice(0, 100)}`, { cause: err });
    }
    if (!Array.isArray(body.replicas))
      throw new MembershipSourceError(`GET ${url}: expected { replicas: [...] }, got ${text.slice(0, 100)}`);
    const ids = new Set<string>();
    for (const r of body.replicas as LbReplica[])
      if (r && typeof r.replicaId === 'string' && r.ready === true && r.draining !== true && r.removed !== true)
        ids.add(r.replicaId);
    return ids;
  }
}
