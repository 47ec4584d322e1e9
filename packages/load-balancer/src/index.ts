export { RegistrarError, type RegistrarErrorCode } from './errors/registrar-error.js';
export { OverloadedError } from './errors/overloaded-error.js';
export { ReplicaPool, REPLICA_POOL_DEFAULTS, type PoolReplica, type ReplicaPoolOptions } from './replica-pool.js';
export { DemandRecorder, type DemandSeries } from './demand-recorder.js';
export {
  HealthChecker,
  HEALTH_CHECKER_DEFAULTS,
  probeReady,
  REPLICA_ID_HEADER,
  type HealthCheckerOptions,
  type HealthEvent,
  type ProbeResult,
} from './health-checker.js';
export { parseRegistration } from './registration-request.js';
export { LoadBalancerServer, type LoadBalancerOptions } from './load-balancer-server.js';
export { LoadBalancerMetrics, codeLabel } from './load-balancer-metrics.js';
export { ModelCatalog } from './model-catalog.js';
export { ByteBudget } from './byte-budget.js';
export { LocalRegistrar, type LocalRegistrarOptions, type MembershipCheck } from './local-registrar.js';
export { deriveReplicaToken, bearerToken, CredentialCheck, type Caller } from './replica-credential.js';
