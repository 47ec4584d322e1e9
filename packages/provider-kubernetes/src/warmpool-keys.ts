/** Labels and annotations warmpool reads and writes on Kubernetes objects. */
export const WarmpoolLabel = {
  /** On a pod: "true" once its warm-up agent registered it warm. */
  Warm: 'warmpool.io/warm',
} as const;

export const WarmpoolAnnotation = {
  /** On a workload: idempotency key of the last scale decision applied to it. */
  LastDecision: 'warmpool.io/last-decision',
  /** On a workload: JSON array of the most recent decision keys applied (newest last). */
  RecentDecisions: 'warmpool.io/recent-decisions',
  /** On a pod: RFC 3339 time the warm-up agent registered it warm. */
  WarmAt: 'warmpool.io/warm-at',
  /** On a pod: the ONNX Runtime execution provider it runs on. */
  ExecutionProvider: 'warmpool.io/execution-provider',
  /** On a pod: why warm-up failed (the pod never turns ready). */
  WarmupFailed: 'warmpool.io/warmup-failed',
  /** On a pod: RFC 3339 time of the agent's last heartbeat while warming. */
  Heartbeat: 'warmpool.io/heartbeat',
  /** On a pod: set when the agent deregistered (draining). */
  Draining: 'warmpool.io/draining',
} as const;
