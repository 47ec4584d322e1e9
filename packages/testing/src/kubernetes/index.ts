export { FakeKubeApiServer, type RecordedRequest, type FakeKubeApiServerOptions } from './fake-kube-api-server.js';
export { FakeKubeStore } from './fake-kube-store.js';
export {
  FakeWorkloadController,
  type WorkloadInit,
  type WorkloadKind,
  type PodPhase,
} from './fake-workload-controller.js';
export { FaultInjector, type Fault, type RequestMatch } from './fault-injector.js';
export { kubeconfigYaml, writeKubeconfig, type KubeconfigOptions } from './kubeconfig.js';
export { kubeStatus, KubeStatusError, type KubeStatus, type KubeStatusDetails } from './kube-status.js';
export { LabelSelector } from './label-selector.js';
export { RESOURCE_TYPES, MICRO_TIME_PATTERN, type KubeResourceType } from './kube-resources.js';
export type { JsonObject, JsonValue } from './patches.js';
