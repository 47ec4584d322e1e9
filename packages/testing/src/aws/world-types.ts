/** Lifecycle states of an instance in a group or its warm pool, as the Auto Scaling API names them. */
export type LifecycleState =
  | 'Pending'
  | 'Pending:Wait'
  | 'Pending:Proceed'
  | 'InService'
  | 'Terminating'
  | 'Terminating:Wait'
  | 'Terminating:Proceed'
  | 'Terminated'
  | 'Warmed:Pending'
  | 'Warmed:Pending:Wait'
  | 'Warmed:Pending:Proceed'
  | 'Warmed:Terminating'
  | 'Warmed:Terminated'
  | 'Warmed:Stopped'
  | 'Warmed:Running'
  | 'Warmed:Hibernated';

export type HealthStatus = 'Healthy' | 'Unhealthy';
export type PoolState = 'Stopped' | 'Running' | 'Hibernated';
export const POOL_STATES: readonly PoolState[] = ['Stopped', 'Running', 'Hibernated'];
export type LifecycleTransition = 'autoscaling:EC2_INSTANCE_LAUNCHING' | 'autoscaling:EC2_INSTANCE_TERMINATING';
export const LIFECYCLE_TRANSITIONS: readonly LifecycleTransition[] = [
  'autoscaling:EC2_INSTANCE_LAUNCHING',
  'autoscaling:EC2_INSTANCE_TERMINATING',
];
export type LifecycleResult = 'CONTINUE' | 'ABANDON';
export const LIFECYCLE_RESULTS: readonly LifecycleResult[] = ['CONTINUE', 'ABANDON'];

export interface FakeInstance {
  readonly instanceId: string;
  lifecycleState: LifecycleState;
  healthStatus: HealthStatus;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly launchedAtMs: number;
  /** Launch order; scale-in removes the newest first. */
  readonly launchSeq: number;
}

export interface FakeWarmPool {
  minSize: number;
  /** Undefined (or -1 on the wire) means the group's MaxSize. */
  maxGroupPreparedCapacity: number | undefined;
  poolState: PoolState;
  reuseOnScaleIn: boolean;
  status: 'PendingDelete' | undefined;
}

export interface FakeLifecycleHook {
  readonly name: string;
  readonly groupName: string;
  transition: LifecycleTransition;
  heartbeatTimeoutS: number;
  globalTimeoutS: number;
  defaultResult: LifecycleResult;
  notificationMetadata: string | undefined;
  notificationTargetArn: string | undefined;
  roleArn: string | undefined;
}

/** An instance waiting on a lifecycle hook; the token is what a notification would carry. */
export interface FakeLifecycleAction {
  readonly token: string;
  readonly groupName: string;
  readonly hookName: string;
  readonly instanceId: string;
  readonly transition: LifecycleTransition;
  readonly startedAtMs: number;
  lastHeartbeatAtMs: number;
}

export interface FakeGroup {
  readonly name: string;
  minSize: number;
  maxSize: number;
  desiredCapacity: number;
  defaultCooldownS: number;
  healthCheckType: string;
  readonly createdAtMs: number;
  readonly availabilityZones: readonly string[];
  /** When the last scaling activity started (for HonorCooldown). */
  lastScalingAtMs: number | undefined;
  /** Group and warm-pool instances together; `Warmed:*` states are in the pool. */
  readonly instances: FakeInstance[];
  warmPool: FakeWarmPool | undefined;
  readonly hooks: Map<string, FakeLifecycleHook>;
}

export interface GroupInit {
  readonly name: string;
  readonly minSize?: number;
  readonly maxSize?: number;
  readonly desiredCapacity?: number;
  readonly defaultCooldownS?: number;
  readonly availabilityZones?: readonly string[];
  /** Instances to start with, InService and Healthy (defaults to desiredCapacity). */
  readonly inServiceInstances?: number;
}

export function isInWarmPool(state: LifecycleState): boolean {
  return state.startsWith('Warmed:');
}

export function isLeaving(state: LifecycleState): boolean {
  return state.startsWith('Terminating') || state === 'Terminated' || state.startsWith('Warmed:Terminat');
}

export function poolReadyState(pool: PoolState): LifecycleState {
  return `Warmed:${pool}` as LifecycleState;
}

export interface WarmPoolUpdate {
  readonly minSize?: number;
  readonly maxGroupPreparedCapacity?: number;
  readonly poolState?: PoolState;
  readonly reuseOnScaleIn?: boolean;
}

export interface HookUpdate {
  readonly transition?: LifecycleTransition;
  readonly heartbeatTimeoutS?: number;
  readonly defaultResult?: LifecycleResult;
  readonly notificationMetadata?: string;
  readonly notificationTargetArn?: string;
  readonly roleArn?: string;
}

export interface GroupUpdate {
  readonly minSize?: number;
  readonly maxSize?: number;
  readonly desiredCapacity?: number;
  readonly defaultCooldownS?: number;
}
