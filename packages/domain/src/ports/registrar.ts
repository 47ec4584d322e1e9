/** What a replica tells the load balancer / orchestrator about itself. */
export interface ReplicaRegistration {
  readonly replicaId: string;
  readonly model: string;
  /** Where the model server listens, e.g. http://127.0.0.1:9100 */
  readonly url: string;
  readonly executionProvider: string;
}

/**
 * A replica registers only once warm. One adapter per world: local load balancer,
 * Kubernetes (pod label/annotation + readiness), AWS Auto Scaling lifecycle hook.
 */
export interface Registrar {
  readonly name: string;
  /** Called periodically while warming (keeps lifecycle hooks alive). */
  heartbeat(registration: ReplicaRegistration): Promise<void>;
  /** Warm: start taking traffic. */
  register(registration: ReplicaRegistration): Promise<void>;
  /** Warm-up failed: never take traffic. */
  fail(registration: ReplicaRegistration, reason: string): Promise<void>;
  /** Stop taking traffic and drain (SIGTERM). */
  deregister(registration: ReplicaRegistration): Promise<void>;
}
