export { LocalProcessProvider, type LocalModelState, type ReclaimReport } from './local-process-provider.js';
export {
  resolveLocalProviderOptions,
  type LocalProcessProviderOptions,
  type LocalReplicaTemplate,
  type ResolvedTemplate,
} from './local-provider-options.js';
export type { LocalReplicaInfo } from './local-replica-info.js';
export { LocalProviderError, type LocalProviderErrorCode } from './errors/local-provider-error.js';
export { PortAllocator, portIsFree } from './port-allocator.js';
export { probeReadyz, stageFromReadyz, type ProbeAnswer, type ProbedStage } from './readiness-probe.js';
export { ReplicaStateFile, isReplicaProcess, pidAlive, type ReplicaStateEntry } from './replica-state-file.js';
export { ReplicaReaper } from './replica-reaper.js';
