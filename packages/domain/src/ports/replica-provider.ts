/** Where a replica is in its life. */
export type ReplicaPhase = 'provisioning' | 'loading' | 'warming' | 'ready' | 'draining' | 'failed';

export interface ReplicaInfo {
  readonly id: string;
  readonly phase: ReplicaPhase;
  /** Epoch ms when it was asked for. */
  readonly requestedAtMs: number;
  /** Epoch ms when it became ready (warm), if it has. */
  readonly readyAtMs?: number;
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
}

/** The port every provider (Kubernetes, AWS Auto Scaling, local processes) implements. */
export interface ReplicaProvider {
  readonly name: string;
  getState(model: string): Promise<ReplicaSetState>;
  scale(request: ScaleRequest): Promise<void>;
  close(): Promise<void>;
}
