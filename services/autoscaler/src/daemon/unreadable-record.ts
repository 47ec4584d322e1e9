import type { ModelSpec } from '@warmpool/domain';
import type { DaemonDecisionRecord, LoggedError } from './daemon-record.js';
import type { DemandPoll } from './demand-feed.js';

/** What a model loop knows when its provider cannot be read. */
export interface UnreadableTick {
  readonly spec: ModelSpec;
  readonly nowMs: number;
  readonly mode: { readonly dryRun: boolean; readonly leader: boolean };
  readonly error: LoggedError;
  readonly notes: readonly string[];
  readonly poll: DemandPoll;
  /** What the provider was last seen asked for (null: never read). */
  readonly lastDesired: number | null;
  readonly measuredLeadTimeS: number | undefined;
}

/** The provider could not be read: nothing is changed, and the record says why (reason `ProviderUnavailable`). */
export function unreadableRecord(t: UnreadableTick): DaemonDecisionRecord {
  const { spec, nowMs, mode, error, notes, poll } = t;
  const last = t.lastDesired;
  return {
    kind: 'decision',
    id: `${spec.name}@${nowMs}`,
    time: new Date(nowMs).toISOString(),
    model: spec.name,
    action: 'hold',
    from: last ?? 0,
    to: last ?? 0,
    reasons: ['ProviderUnavailable'],
    message: `holding: the provider could not be read (${error.code}); nothing is changed until it answers`,
    observedPerS: Number.isFinite(poll.demandPerS) ? Number(poll.demandPerS.toFixed(3)) : null,
    forecastP50PerS: null,
    forecastUpperPerS: null,
    bandQuantile: null,
    leadTimeS: t.measuredLeadTimeS ?? spec.leadTime.provisionS + spec.leadTime.loadS + spec.leadTime.warmupS,
    windowStartS: nowMs / 1000,
    windowEndS: nowMs / 1000,
    sla: {
      latencyTargetP95Ms: spec.latencyTargetP95Ms,
      capacityPerReplicaPerS: spec.capacityPerReplicaPerS,
      minWarmReplicas: spec.minWarmReplicas,
      maxReplicas: spec.maxReplicas,
    },
    acted: 'error',
    desired: last,
    ready: null,
    warming: null,
    measuredLeadTimeS: t.measuredLeadTimeS ?? null,
    leader: mode.leader,
    dryRun: mode.dryRun,
    ...(notes.length ? { notes } : {}),
    error,
  };
}
