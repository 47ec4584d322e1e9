export { AwsAutoScalingProvider, type AwsAutoScalingProviderOptions } from './aws-auto-scaling-provider.js';
export { AwsLifecycleRegistrar, type AwsLifecycleRegistrarOptions } from './aws-lifecycle-registrar.js';
export { AWS_ACTIONS_USED, AWS_PROVIDER_ACTIONS, AWS_REGISTRAR_ACTIONS, type AwsActionUsed } from './aws-actions.js';
export { AwsErrorCode, AwsProviderError, type AwsErrorContext } from './errors/aws-provider-error.js';
export { AwsCaller, classifyAwsError, type AwsRetryEvent } from './aws-caller.js';
export { createAutoScalingClient, type AutoScalingClientOptions } from './auto-scaling-client.js';
export { SeededRandom } from '@warmpool/domain';
export {
  parseAwsGroups,
  type AwsGroupConfig,
  type AwsLifecycleHookConfig,
  type AwsWarmPoolConfig,
  type LifecycleDefaultResult,
  type WarmPoolState,
} from './group-config.js';
export { GroupSetup, LAUNCHING_TRANSITION, type GroupSetupResult } from './group-setup.js';
export { poolStateForTier } from './warm-tier-pool-state.js';
export { instancePhase } from './instance-phase.js';
