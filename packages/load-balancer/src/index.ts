export { RegistrarError, type RegistrarErrorCode } from './errors/registrar-error.js';
export { ReplicaPool, REPLICA_POOL_DEFAULTS, type PoolReplica, type ReplicaPoolOptions } from './replica-pool.js';
export { DemandRecorder, type DemandSeries } from './demand-recorder.js';
export { HealthChecker, HEALTH_CHECKER_DEFAULTS, probeReady, type HealthCheckerOptions, type ProbeResult } from './health-checker.js';
export { parseRegistration } from './registration-request.js';
export { LoadBalancerServer, type LoadBalancerOptions } from './load-balancer-server.js';
export { LocalRegistrar, type LocalRegistrarOptions } from './local-registrar.js';
export { PrometheusText, PROMETHEUS_CONTENT_TYPE } from '@warmpool/telemetry';
