import type { WarmTier } from '@warmpool/domain';
import type { AwsWarmPoolConfig, WarmPoolState } from './group-config.js';

/**
 * The warm pool state a warmth tier asks for: `gpu` keeps the pool's instances `Running` (model loaded, a launch
 * into service is a re-check), `host` `Hibernated` (memory, weights included, kept on disk by EC2: a resume, not a
 * load) where the group's configured pool says hibernation works for its instance type (`poolState: Hibernated`),
 * else `Stopped`, and `cold` `Stopped`.
 */
export function poolStateForTier(tier: WarmTier, configured: AwsWarmPoolConfig): WarmPoolState {
  if (tier === 'gpu') return 'Running';
  if (tier === 'host') return configured.poolState === 'Hibernated' ? 'Hibernated' : 'Stopped';
  return 'Stopped';
}
