/** Where a replica is in its life. */
export type ReplicaPhase = 'provisioning' | 'loading' | 'warming' | 'ready' | 'draining' | 'failed';

export interface ReplicaInfo {
  readonly id: string;
  readonly phase: ReplicaPhase;
  /** Epoch ms when it was asked for. */
  readonly requestedAtMs: number;
  /** Epoch ms when it became ready (warm), if it has. */
  readonly readyAtMs?: number;
  /** Why it failed (phase `failed`), when the provider knows. */
  readonly reason?: string;
}

/** A replica the daemon counts as failed and asks the provider to replace. */
export interface ReplicaReplacement {
  readonly id: string;
  /** Why: `warm-up failed: ...`, `died: ...`, `not ready 95 s after it was requested (lead time 60 s + margin 30 s)`. */
  readonly reason: string;
}

export interface ReplicaSetState {
  readonly model: string;
  /** What the provider was last asked for. */
  readonly desired: number;
  readonly replicas: readonly ReplicaInfo[];
}

export interface ScaleRequest {
  readonly model: string;
  readonly replicas: number;
  /** Stable key of the decision; a provider applies the same key once. */
  readonly idempotencyKey: string;
  readonly reason: string;
  readonly message: string;
  /**
   * Replicas to end and start afresh (reason code `ReplicaFailed`): the provider ends each one still
   * listed (kills the process, deletes the pod, abandons the instance's lifecycle hook) so that the model
   * again has `replicas` live ones. Ids no longer listed are skipped; the key still applies once.
   */
  readonly replace?: readonly ReplicaReplacement[];
}

/** The port every provider (Kubernetes, AWS Auto Scaling, local processes) implements. */
export interface ReplicaProvider {
  readonly name: string;
  getState(model: string): Promise<ReplicaSetState>;
  scale(request: ScaleRequest): Promise<void>;
  close(): Promise<void>;
}
