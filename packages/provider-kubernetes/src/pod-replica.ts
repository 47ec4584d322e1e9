import type { V1Pod } from '@kubernetes/client-node';
import type { ReplicaInfo, ReplicaPhase } from '@warmpool/domain';
import { WarmConditionReason, WarmpoolAnnotation, WarmpoolCondition, WarmpoolLabel } from './warmpool-keys.js';

/** Dates from the client may arrive as Date or, for MicroTime fields, as strings. */
export function toEpochMs(v: Date | string | undefined | null): number | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = v instanceof Date ? v.getTime() : Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

function condition(pod: V1Pod, type: string) {
  return pod.status?.conditions?.find((c) => c.type === type);
}

/**
 * How warmpool sees a pod:
 * - terminating (deletionTimestamp), or the agent's `warmpool.io/warm` condition says `Draining` → `draining`
 * - Failed/Succeeded, or the condition says `WarmupFailed` → `failed`
 * - Pending and not yet scheduled → `provisioning`; scheduled but containers not running → `loading`
 * - Running but not Ready (readiness probe on /readyz fails until warm-up converged; the `warmpool.io/warm`
 *   readiness gate is False until the agent registers) → `warming`
 * - Ready (and, when `requireWarm`, the `warmpool.io/warm` condition True) → `ready`, `readyAtMs` the condition's
 *   transition to True (else the Ready transition)
 * Pods of agents from before the readiness gate (label `warmpool.io/warm`, annotations `warm-at`, `warmup-failed`,
 * `draining`) are read the same way.
 */
export function podToReplica(pod: V1Pod, requireWarm: boolean): ReplicaInfo {
  const meta = pod.metadata ?? {};
  const annotations = meta.annotations ?? {};
  const id = meta.name ?? '(unnamed)';
  const requestedAtMs = toEpochMs(meta.creationTimestamp) ?? 0;
  const phase = pod.status?.phase;
  let replicaPhase: ReplicaPhase;
  const ready = condition(pod, 'Ready');
  const isReady = ready?.status === 'True';
  const warm = condition(pod, WarmpoolCondition.Warm);
  const warmTrue = warm?.status === 'True';
  const isWarm = warmTrue || (warm === undefined && meta.labels?.[WarmpoolLabel.Warm] === 'true');
  const draining =
    warm?.reason === WarmConditionReason.Draining || annotations[WarmpoolAnnotation.Draining] !== undefined;
  const warmupFailed =
    warm?.reason === WarmConditionReason.WarmupFailed || annotations[WarmpoolAnnotation.WarmupFailed] !== undefined;
  if (meta.deletionTimestamp || draining) replicaPhase = 'draining';
  else if (phase === 'Failed' || phase === 'Succeeded' || warmupFailed) replicaPhase = 'failed';
  else if (phase === 'Pending' || phase === undefined) {
    const scheduled = condition(pod, 'PodScheduled')?.status === 'True' || Boolean(pod.spec?.nodeName);
    replicaPhase = scheduled ? 'loading' : 'provisioning';
  } else if (isReady && (!requireWarm || isWarm)) replicaPhase = 'ready';
  else replicaPhase = 'warming';
  const warmAtMs = warmTrue ? toEpochMs(warm.lastTransitionTime) : toEpochMs(annotations[WarmpoolAnnotation.WarmAt]);
  if (replicaPhase !== 'ready') {
    // Warm once and not Ready now (a slow readiness answer): `readyAtMs` says so, so that it is not taken for a warm-up
    // stuck past its deadline. A failed pod says why where the kubelet or the agent did.
    const wasWarmAtMs = replicaPhase === 'warming' && isWarm ? warmAtMs : undefined;
    const reason = replicaPhase === 'failed' ? failureReason(pod, warm?.message) : undefined;
    return {
      id,
      phase: replicaPhase,
      requestedAtMs,
      ...(wasWarmAtMs !== undefined ? { readyAtMs: wasWarmAtMs } : {}),
      ...(reason ? { reason } : {}),
    };
  }
  const readyAtMs = warmAtMs ?? toEpochMs(ready?.lastTransitionTime) ?? requestedAtMs;
  return { id, phase: replicaPhase, requestedAtMs, readyAtMs };
}

/** `pod Failed: OOMKilled: ...` from the pod status, a terminated container, or the agent's condition message. */
function failureReason(pod: V1Pod, warmMessage: string | undefined): string | undefined {
  const st = pod.status;
  const terminated = (st?.containerStatuses ?? [])
    .map((c) => c.state?.terminated ?? c.lastState?.terminated)
    .find((t) => t !== undefined);
  const parts = [
    st?.phase === 'Failed' || st?.phase === 'Succeeded' ? `pod ${st.phase}` : undefined,
    st?.reason,
    st?.message,
    terminated
      ? `container exited ${terminated.exitCode}${terminated.reason ? ` (${terminated.reason})` : ''}`
      : undefined,
    warmMessage,
  ].filter((x): x is string => typeof x === 'string' && x.length > 0);
  const text = parts.join(': ');
  return text.length > 0 ? text.slice(0, 300) : undefined;
}
