import type { ReplicaPhase } from '@warmpool/domain';

/**
 * The replica phase of a group instance, from its Auto Scaling lifecycle state and health;
 * undefined for instances that are gone (Terminated, Detached) or in the warm pool (Warmed:*).
 * Pending is the instance launching (provisioning); Pending:Wait is the lifecycle hook holding it
 * while the warm-up agent warms the model; only InService + Healthy is ready.
 */
export function instancePhase(
  lifecycleState: string | undefined,
  healthStatus: string | undefined,
): ReplicaPhase | undefined {
  switch (lifecycleState) {
    case 'Pending':
    case 'Quarantined':
      return 'provisioning';
    case 'Pending:Wait':
    case 'Pending:Proceed':
      return 'warming';
    case 'InService':
      return healthStatus === 'Healthy' ? 'ready' : 'failed';
    case 'Terminating':
    case 'Terminating:Wait':
    case 'Terminating:Proceed':
    case 'Detaching':
    case 'EnteringStandby':
    case 'Standby':
      return 'draining';
    case 'Terminated':
    case 'Detached':
    case undefined:
      return undefined;
    default:
      return lifecycleState.startsWith('Warmed:') ? undefined : 'provisioning';
  }
}
