export * from './errors/index.js';
export {
  KubernetesReplicaProvider,
  type KubernetesReplicaProviderOptions,
  type ScaleOutcome,
} from './kubernetes-replica-provider.js';
export {
  KubernetesEventRecorder,
  type KubernetesEventRecorderOptions,
  type EventSubject,
} from './kubernetes-event-recorder.js';
export {
  KubernetesLeaseElector,
  type KubernetesLeaseElectorOptions,
  type ElectorTimers,
} from './kubernetes-lease-elector.js';
export { KubernetesRegistrar, type KubernetesRegistrarOptions } from './kubernetes-registrar.js';
export { EventReason, eventForDecision, type EventSpec, type EventType } from './event-reason.js';
export {
  parseKubernetesTargets,
  readKubernetesTarget,
  KUBERNETES_TARGET_KEYS,
  type KubernetesTarget,
  type WorkloadKind,
} from './kubernetes-target.js';
export { podToReplica } from './pod-replica.js';
export { loadKubeConfig, type KubeConfigSource } from './kube-config-loader.js';
export { DEFAULT_RETRY_POLICY, realRetryEnv, type RetryPolicy, type RetryEnv } from './retry-policy.js';
export { WarmpoolAnnotation, WarmpoolLabel, WarmpoolCondition, WarmConditionReason } from './warmpool-keys.js';
export { AutoscalerConflictCheck, refTargets, KEDA_GROUP, KEDA_VERSION } from './autoscaler-conflict-check.js';
export { DecisionLedger, LEDGER_MAX_WORKLOADS, type LedgerSnapshot } from './decision-ledger.js';
