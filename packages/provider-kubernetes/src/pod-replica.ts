import type { V1Pod } from '@kubernetes/client-node';
import type { ReplicaInfo, ReplicaPhase } from '@warmpool/domain';
import { WarmpoolAnnotation, WarmpoolLabel } from './warmpool-keys.js';

/** Dates from the client may arrive as Date or, for MicroTime fields, as strings. */
export function toEpochMs(v: Date | string | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

function readyCondition(pod: V1Pod) {
  return pod.status?.conditions?.find((c) => c.type === 'Ready');
}

/**
 * How warmpool sees a pod:
 * - terminating (deletionTimestamp) or annotated draining → `draining`
 * - Failed/Succeeded, or the agent annotated a warm-up failure → `failed`
 * - Pending and not yet scheduled → `provisioning`; scheduled but containers not running → `loading`
 * - Running but not Ready (readiness probe on /readyz fails until warm-up converged) → `warming`
 * - Ready (and, when required, labelled `warmpool.io/warm=true`) → `ready`
 */
export function podToReplica(pod: V1Pod, requireWarmLabel: boolean): ReplicaInfo {
  const meta = pod.metadata ?? {};
  const annotations = meta.annotations ?? {};
  const id = meta.name ?? '(unnamed)';
  const requestedAtMs = toEpochMs(meta.creationTimestamp) ?? 0;
  const phase = pod.status?.phase;
  let replicaPhase: ReplicaPhase;
  const ready = readyCondition(pod);
  const isReady = ready?.status === 'True';
  const warmLabel = meta.labels?.[WarmpoolLabel.Warm] === 'true';
  if (meta.deletionTimestamp || annotations[WarmpoolAnnotation.Draining] !== undefined) replicaPhase = 'draining';
  else if (phase === 'Failed' || phase === 'Succeeded' || annotations[WarmpoolAnnotation.WarmupFailed] !== undefined) replicaPhase = 'failed';
  else if (phase === 'Pending' || phase === undefined) {
    const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status === 'True' || Boolean(pod.spec?.nodeName);
    replicaPhase = scheduled ? 'loading' : 'provisioning';
  } else if (isReady && (!requireWarmLabel || warmLabel)) replicaPhase = 'ready';
  else replicaPhase = 'warming';
  if (replicaPhase !== 'ready') return { id, phase: replicaPhase, requestedAtMs };
  const readyAtMs = toEpochMs(annotations[WarmpoolAnnotation.WarmAt]) ?? toEpochMs(ready?.lastTransitionTime) ?? requestedAtMs;
  return { id, phase: replicaPhase, requestedAtMs, readyAtMs };
}
