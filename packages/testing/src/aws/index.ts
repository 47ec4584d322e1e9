export { FakeAutoScaling, type FakeAutoScalingOptions, type RecordedRequest } from './fake-auto-scaling.js';
export { AutoScalingWorld } from './auto-scaling-world.js';
export { LifecycleActionBook } from './lifecycle-action-book.js';
export { AwsFault } from './aws-fault.js';
export { FaultPlan, type Fault } from './fault-plan.js';
export type {
  FakeGroup,
  FakeInstance,
  FakeLifecycleAction,
  FakeLifecycleHook,
  FakeWarmPool,
  GroupInit,
  GroupUpdate,
  HookUpdate,
  WarmPoolUpdate,
  HealthStatus,
  LifecycleResult,
  LifecycleState,
  LifecycleTransition,
  PoolState,
} from './world-types.js';
export {
  FakeInstanceMetadata,
  targetStateOf,
  type FakeInstanceMetadataOptions,
  type ImdsRequest,
} from './fake-instance-metadata.js';
