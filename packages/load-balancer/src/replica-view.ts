import type { PoolReplica, ReplicaPool } from './replica-pool.js';

/** A replica as the load balancer's `GET /replicas` answers describe it. */
export function describeReplica(pool: ReplicaPool, r: PoolReplica, nowMs: number): Record<string, unknown> {
  return {
    replicaId: r.id,
    model: r.model,
    url: r.url,
    executionProvider: r.executionProvider,
    ready: r.ready && r.removedAtMs === undefined,
    draining: r.draining,
    removed: r.removedAtMs !== undefined,
    outstanding: r.outstanding,
    weight: pool.weight(r, nowMs),
    failures: r.failures,
    lastError: r.lastError,
  };
}

/** decodeURIComponent, undefined for malformed percent-encoding (`%ZZ`). */
export function decodePart(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
