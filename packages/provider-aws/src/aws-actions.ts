/**
 * Exactly the Auto Scaling API actions AwsAutoScalingProvider and AwsLifecycleRegistrar call.
 * An IAM policy for the daemon and the agent grants `autoscaling:<action>` for each of these;
 * a test checks the fake saw no other action.
 */
export const AWS_ACTIONS_USED = [
  'DescribeAutoScalingGroups',
  'SetDesiredCapacity',
  'DescribeWarmPool',
  'PutWarmPool',
  'DescribeLifecycleHooks',
  'PutLifecycleHook',
  'RecordLifecycleActionHeartbeat',
  'CompleteLifecycleAction',
  'TerminateInstanceInAutoScalingGroup',
] as const;
export type AwsActionUsed = (typeof AWS_ACTIONS_USED)[number];

/** The actions the daemon (provider) calls. */
export const AWS_PROVIDER_ACTIONS: readonly AwsActionUsed[] = [
  'DescribeAutoScalingGroups',
  'SetDesiredCapacity',
  'DescribeWarmPool',
  'PutWarmPool',
  'DescribeLifecycleHooks',
  'PutLifecycleHook',
  // Replacing a failed replica: ABANDON the launching hook of an instance stuck in warm-up, terminate any other.
  'CompleteLifecycleAction',
  'TerminateInstanceInAutoScalingGroup',
];

/** The actions the warm-up agent (registrar) calls on its instance. */
export const AWS_REGISTRAR_ACTIONS: readonly AwsActionUsed[] = [
  'RecordLifecycleActionHeartbeat',
  'CompleteLifecycleAction',
  'DescribeLifecycleHooks',
];
