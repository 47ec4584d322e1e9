export type { Trace } from './trace/trace.js';
export { traceDurationS } from './trace/trace.js';
export { parseTrace } from './trace/parse-trace.js';
export { perSecondDemand, type Interpolation } from './trace/per-second-demand.js';
export { sparseBurstyDemand } from './trace/sparse-bursty-demand.js';
export { ReplicaPool } from './engine/replica-pool.js';
export { ObservedDemand, type PastDemand } from './engine/observed-demand.js';
export { runSimulation, initialReplicas, type RunOptions } from './engine/run-simulation.js';
export { simulatePolicies } from './engine/simulate-policies.js';
export { simConfigFor, SIM_DEFAULTS, type SimSettings } from './engine/sim-config.js';
export type { SimResult } from './engine/sim-result.js';
export type { SimConfig, SimView, SimPolicy, SimPolicyFactory } from './policies/sim-policy.js';
export { staticPolicy } from './policies/static-policy.js';
export { predictivePolicy, simModelSpec, type PredictiveOptions } from './policies/predictive-policy.js';
export { POLICIES, POLICY_NAMES, predictive } from './policies/registry.js';
export {
  hpaPolicy,
  hpaPolicyWith,
  timeScaledHpaSettings,
  HpaController,
  HPA_DEFAULTS,
  type HpaSettings,
} from './policies/hpa-policy.js';
export { hpaReplicaCount, utilizationPercent, type HpaMetricInput } from './policies/hpa-replica-calculator.js';
export {
  kpaPolicy,
  kpaPolicyWith,
  timeScaledKpaSettings,
  KpaDecider,
  KPA_DEFAULTS,
  type KpaSettings,
} from './policies/kpa-policy.js';
export { timeScaler } from './policies/time-scale.js';
export { awsPredictivePolicy, AWS_SCHEDULING_BUFFER_S } from './policies/aws-predictive-policy.js';
export { AwsHourlyForecast, AWS_FORECAST_DEFAULTS, type AwsForecastSettings } from './policies/aws-hourly-forecast.js';
export {
  AwsTargetTracking,
  AWS_TARGET_TRACKING_DEFAULTS,
  type AwsTargetTrackingSettings,
} from './policies/aws-target-tracking.js';
export { oraclePolicy } from './policies/oracle-policy.js';
export { OracleSchedule } from './policies/oracle-schedule.js';
export { replicasFor, unservedRequests, UNSERVED_TOLERANCE } from './engine/serving.js';
export { observedMeanPerS } from './policies/observed-window.js';
export { LivePolicyDriver } from './live/live-policy-driver.js';
export {
  recentMaxPolicy,
  recentMaxPolicyWith,
  RECENT_MAX_DEFAULTS,
  type RecentMaxSettings,
} from './policies/recent-max-policy.js';
export { LatencyQueue } from './engine/latency-queue.js';
export type { FrontierSweep } from './frontier/frontier-sweep.js';
export {
  sweepFrontier,
  bestAtCost,
  paretoFrontier,
  type FrontierPoint,
  type FrontierReport,
  type FrontierVerdict,
  type ViolationMetric,
} from './frontier/frontier.js';
export {
  baselineSweeps,
  predictiveSweep,
  frontierSweeps,
  FRONTIER_UTILIZATIONS,
  FRONTIER_RECENT_MAX,
  FRONTIER_MISS_COSTS,
  DEFAULT_MISS_COST,
} from './frontier/default-sweeps.js';
export { renderFrontierSummary, renderFrontierPoints } from './frontier/frontier-markdown.js';
