export { FakeAutoScaling, type FakeAutoScalingOptions, type RecordedRequest } from './fake-auto-scaling.js';
export { AutoScalingWorld, type WarmPoolUpdate, type HookUpdate, type GroupUpdate } from './auto-scaling-world.js';
export { AwsFault } from './aws-fault.js';
export { FaultPlan, type Fault } from './fault-plan.js';
export type {
  FakeGroup,
  FakeInstance,
  FakeLifecycleAction,
  FakeLifecycleHook,
  FakeWarmPool,
  GroupInit,
  HealthStatus,
  LifecycleResult,
  LifecycleState,
  LifecycleTransition,
  PoolState,
} from './world-types.js';
