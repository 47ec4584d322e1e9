/** Labels and annotations warmpool reads and writes on Kubernetes objects. */
export const WarmpoolLabel = {
  /** On a pod: "true" once its warm-up agent registered it warm (written by agents before the readiness gate; still read). */
  Warm: 'warmpool.io/warm',
} as const;

/**
 * The pod condition the warm-up agent sets through `pods/status` (a readiness gate: list it in the pod template's
 * `spec.readinessGates` and the kubelet keeps the pod un-Ready until it is True). Its `reason` says which state.
 */
export const WarmpoolCondition = {
  Warm: 'warmpool.io/warm',
} as const;

export const WarmConditionReason = {
  /** status False: the agent is loading and warming (heartbeats refresh lastProbeTime). */
  Warming: 'Warming',
  /** status True: warm-up converged; the message names the execution provider. */
  WarmupConverged: 'WarmupConverged',
  /** status False: warm-up failed; the message says why. */
  WarmupFailed: 'WarmupFailed',
  /** status False: the agent deregistered (SIGTERM); the pod drains. */
  Draining: 'Draining',
} as const;

export const WarmpoolAnnotation = {
  /** On the decision Lease: JSON object `{ "Kind/name": [recent decision keys, newest last] }` per workload. */
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
