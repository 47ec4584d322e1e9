import type { Decision, Forecaster, HistorySource, ReplicaProvider, ScaleQueue } from '@warmpool/domain';
import type { PlannerOptions } from '@warmpool/planner';
import type { ObservableScaleQueue, TimerClock } from '@warmpool/queue';
import type { CheckpointStore } from './checkpoint-store.js';
import type { ModelConfig, WarmpoolConfig } from '../config/warmpool-config.js';
import type { DaemonLogRecord } from './daemon-record.js';
import type { DecisionLog } from './decision-log.js';
import type { DemandFeed } from './demand-feed.js';
import type { Leadership } from './leadership.js';
import type { ScalingPolicyName } from './baseline-policy.js';
import type { ModelLoop } from './model-loop.js';

/** Everything the daemon acts through, injected (buildDaemon wires the real ones from the config; tests wire fakes). */
export interface DaemonDeps {
  readonly clock: TimerClock;
  readonly provider: ReplicaProvider;
  readonly queue: ScaleQueue | ObservableScaleQueue;
  readonly history: HistorySource | undefined;
  /** Live demand per model; default: the history source's newest steps. */
  readonly demandFeed: (model: ModelConfig, tickS: number) => DemandFeed;
  readonly leadership: Leadership;
  readonly log: DecisionLog;
  readonly makeForecaster: (quantile: number, stepS: number) => Forecaster;
  readonly recordEvent?: (model: ModelConfig, decision: Decision) => Promise<void>;
  readonly planner?: Partial<PlannerOptions>;
  /** Who decides in every model loop: the ModelPlanner (`predictive`, default) or a baseline (`hpa`, `kpa`). */
  readonly policy?: ScalingPolicyName;
  /** Baselines only: their periods and windows divided by this (see BaselinePolicy). Default 1. */
  readonly baselineTimeScale?: number;
  /** The daemon's HTTP server (dashboard, /livez, /readyz, /metrics): listens on start, closed on stop. */
  readonly http?: {
    readonly url: string | undefined;
    listen(): Promise<string>;
    close(): Promise<void>;
    setReadiness?(check: () => Promise<Readiness>): void;
    /** `warmpool_tick_duration_seconds`: told each tick's duration. */
    readonly metrics?: { observeTick(seconds: number): void };
  };
  /** Where forecaster state and measured lead times are checkpointed (Redis or a file); absent: nothing kept. */
  readonly checkpoint?: CheckpointStore;
  /** How often the leader writes a checkpoint. Default max(10 s, one tick). */
  readonly checkpointEveryMs?: number;
  /** Closed on stop, after the queue and the provider (Redis connections, watchers). */
  readonly closers?: readonly (() => Promise<void>)[];
  /** KEDA's external scaler gRPC server (`kedaScaler:`): listens on start (a failure is logged), closed on stop. */
  readonly kedaScaler?: { listen(): Promise<string>; close(): Promise<void> };
}

/** `/readyz`: a leader is ready when it reaches its provider, queue and history source; a follower when it reaches the lock. */
export interface Readiness {
  readonly ready: boolean;
  readonly role: 'leader' | 'follower' | 'dry-run' | 'stopped';
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly error?: string }>>;
}

export interface DaemonOptions {
  /** `--dry-run`: decide and log, never act (wins over the config's `dryRun: false`). */
  readonly dryRun?: boolean;
}

/**
 * What the daemon's parts (job runner, checkpointer, readiness probe, fleet tiers) read of the daemon: its deps and
 * its current state, always the live value (the config and the loops are swapped on reload).
 */
export interface DaemonView {
  readonly deps: DaemonDeps;
  readonly config: WarmpoolConfig;
  readonly loops: ReadonlyMap<string, ModelLoop>;
  /** Started and not stopping. */
  readonly running: boolean;
  /** Taking part in the election (never in a dry run). */
  readonly campaigning: boolean;
  /** Whether the last tick ran as the leader (undefined before the first tick). */
  readonly wasLeader: boolean | undefined;
  readonly dryRun: boolean;
  now(): number;
  iso(): string;
  write(record: DaemonLogRecord): void;
}
