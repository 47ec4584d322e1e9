import type { Writable } from 'node:stream';
import type { LoadRunResult } from '@warmpool/loadgen';
import type { DaemonDecisionRecord } from '../daemon/daemon-record.js';
import type { PoolEvent, ReplicaLifetime, WorldSummary } from './world-summary.js';

/** What a finished run hands back. */
export interface LocalWorldResult {
  readonly summary: WorldSummary;
  readonly load: LoadRunResult;
  readonly decisions: readonly DaemonDecisionRecord[];
  readonly pool: readonly PoolEvent[];
  /** Pids of every replica process the run started (all ended by then). */
  readonly replicaPids: readonly number[];
  /** Wall ms of the replay start (trace second `replayFromS`). */
  readonly replayStartMs: number;
  /** Wall ms the replay ended (its last answer, or the stop). */
  readonly replayEndMs: number;
  /** Every replica the run asked for, as the provider reported it (sampled every 250 ms and at the end of the replay). */
  readonly replicas: readonly ReplicaLifetime[];
  /** When each replica first registered with the load balancer (warm): what cold hits are judged against. */
  readonly registeredAtMs: ReadonlyMap<string, number>;
  /** The host's 1-min load average at the replay's start and end (other work on the host skews latency). */
  readonly loadAvg1m: { readonly atStart: number; readonly atEnd: number };
  /** Why it ended: the replay finished, or a signal / stop() cut it short. */
  readonly endedBy: string;
}

export interface LocalWorldIo {
  /** The daemon's decision log and the world's replica lines. Default process.stdout. */
  readonly stdout?: Writable & { isTTY?: boolean };
  /** Called just before the first request of the replay goes out (the replicas warm, the daemon's first tick done). */
  readonly onReplayStart?: () => void;
  /** Every event of the local provider's replicas (phases, pids, ends), e.g. for fault tests. */
  readonly onReplicaEvent?: (event: Readonly<Record<string, unknown>>) => void;
}
