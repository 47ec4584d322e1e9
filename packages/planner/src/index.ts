export type { Observation } from './observation.js';
export { INITIAL_PLANNER_STATE, type PlannerState, type Recommendation } from './planner-state.js';
export {
  windowDemand,
  NOWCAST_ANCHORS,
  type WindowDemand,
  type NowcastAnchor,
  type Nowcast,
} from './forecast-window.js';
export { plan, releaseWidening, DEFAULT_PLANNER_OPTIONS, type PlannerOptions, type PlanResult } from './plan.js';
export { explain } from './explain.js';
export {
  planFleet,
  coldStartS,
  expectedColdCostS,
  type FleetModel,
  type FleetOptions,
  type FleetPlan,
  type TierDecision,
} from './plan-fleet.js';
export { stepQuantile } from './step-quantile.js';
export { LiveStepAggregator } from './live-step-aggregator.js';
export { ModelPlanner, type ModelPlannerOptions } from './model-planner.js';
export { QuantileTuner, DEFAULT_QUANTILE_TUNING, type QuantileTuningOptions } from './quantile-tuner.js';
export { BurstTracker, MIN_BURSTS, type BurstOutlook } from './burst-tracker.js';
export {
  readBurstHistory,
  BurstHistoryError,
  BURST_HISTORY_VERSION,
  type BurstHistory,
  type BurstUnderWay,
} from './burst-history.js';
