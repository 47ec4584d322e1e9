import type { DecisionRecord } from '../decision-log/decision-record.js';

/** What the daemon did with a decision. */
export type Acted =
  /** A scale job was enqueued. */
  | 'enqueued'
  /** The job id was already queued or done (a restarted or second daemon): nothing new. */
  | 'deduplicated'
  /** Nothing to do: the provider already has the target. */
  | 'none'
  /** `--dry-run` / `dryRun: true`: decided and logged only. */
  | 'dry-run'
  /** Another daemon leads; this one decides and logs only. */
  | 'standby'
  /** Something failed; `error` says what. */
  | 'error';

/** A typed error as logged: the stage it happened in, its `code`, and the message. */
export interface LoggedError {
  readonly stage:
    | 'demand'
    | 'history'
    | 'getState'
    | 'plan'
    | 'enqueue'
    | 'scale'
    | 'event'
    | 'leader'
    | 'config'
    | 'queue'
    | 'log'
    | 'shutdown'
    | 'http'
    | 'dashboard'
    | 'checkpoint';
  readonly code: string;
  readonly message: string;
}

/** One per model per tick. */
export interface DaemonDecisionRecord extends Omit<DecisionRecord, 'reasons'> {
  readonly kind: 'decision';
  /** `model@epochMs`: outcome records point at it. */
  readonly id: string;
  /** Planner reason codes, plus `ProviderUnavailable` when the provider could not be read. */
  readonly reasons: readonly string[];
  readonly acted: Acted;
  readonly jobId?: string;
  /** What the provider was asked for before, and what it reported. */
  readonly desired: number | null;
  readonly ready: number | null;
  readonly warming: number | null;
  /** Replicas counted as failed (warm-up failed, died, or unready past lead time + margin), not as warming. */
  readonly failed?: number;
  /** The failed replicas this decision asked the provider to replace (reason `ReplicaFailed`), with why. */
  readonly replaced?: readonly { readonly id: string; readonly reason: string }[];
  /** Robust (p90) measured request-to-ready time, null until enough replicas were seen coming up. */
  readonly measuredLeadTimeS: number | null;
  /** Median seconds per stage of the measured replicas. */
  readonly leadTimeStagesS?: Readonly<Record<string, number>>;
  readonly leader: boolean;
  readonly dryRun: boolean;
  /** Things that degraded this decision (history gaps, demand source errors). */
  readonly notes?: readonly string[];
  readonly error?: LoggedError;
}

export const SCALE_UP_OUTCOMES = ['ready-ahead', 'late', 'not-needed', 'superseded'] as const;
export type ScaleUpOutcomeName = (typeof SCALE_UP_OUTCOMES)[number];

/** Follow-up of a scale-up once its replicas were ready (or never became ready). */
export interface OutcomeRecord {
  readonly kind: 'outcome';
  readonly time: string;
  readonly model: string;
  /** Id of the decision it is about. */
  readonly ref: string;
  /** Exactly one per scale-up (OutcomeTracker): ready before the load needed it, after, never needed, or replaced. */
  readonly outcome: ScaleUpOutcomeName;
  readonly from: number;
  readonly to: number;
  readonly capacityBeforePerS: number;
  readonly observedPeakPerS: number | null;
  /** Seconds from the decision to the replicas being ready. */
  readonly readyAfterS: number | null;
  readonly message: string;
}

/** What happened to a scale job in the queue. */
export interface JobRecord {
  readonly kind: 'job';
  readonly time: string;
  readonly model: string | null;
  readonly jobId: string;
  /**
   * `skipped`: came due too late to be applied; `deferred`: this daemon does not lead (or was fenced off), the job
   * went back to the queue for the leader (see Daemon.runJob).
   */
  readonly event: 'completed' | 'retrying' | 'failed' | 'stalled' | 'skipped' | 'deferred';
  readonly replicas: number | null;
  readonly attempt: number | null;
  readonly error?: LoggedError;
  readonly message: string;
}

/** Anything else the daemon reports: start, stop, leadership, config reloads, errors outside a decision. */
export interface DaemonEventRecord {
  readonly kind: 'daemon' | 'leader' | 'config' | 'error' | 'fleet';
  readonly time: string;
  readonly model?: string;
  readonly event: string;
  readonly message: string;
  readonly error?: LoggedError;
  readonly issues?: readonly string[];
  readonly detail?: Readonly<Record<string, unknown>>;
}

export type DaemonLogRecord = DaemonDecisionRecord | OutcomeRecord | JobRecord | DaemonEventRecord;

/** The `code` of a typed error (WarmpoolError and the providers' errors carry one), else its class name. */
export function errorCode(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && typeof (err as { code: unknown }).code === 'string')
    return (err as { code: string }).code;
  return err instanceof Error ? err.name : 'E_UNKNOWN';
}

export function loggedError(stage: LoggedError['stage'], err: unknown): LoggedError {
  const message = err instanceof Error ? err.message : String(err);
  return { stage, code: errorCode(err), message: message.length > 2000 ? `${message.slice(0, 1997)}...` : message };
}
