export {
  KubernetesApiError,
  KubernetesErrorCode,
  describeObject,
  type KubeObjectRef,
  type KubernetesApiErrorInit,
} from './kubernetes-api-error.js';
export { UnknownModelError } from './unknown-model-error.js';
export { AutoscalerConflictError } from './autoscaler-conflict-error.js';
