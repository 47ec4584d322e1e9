export type {
  ReplicaPhase,
  ReplicaInfo,
  ReplicaSetState,
  ScaleRequest,
  ReplicaProvider,
  ReplicaReplacement,
} from './replica-provider.js';
export type { ReplicaRegistration, Registrar } from './registrar.js';
export type { HistorySource } from './history-source.js';
export type { ScaleJob, EnqueueResult, ScaleQueue } from './scale-queue.js';
