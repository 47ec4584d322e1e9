import type { ReplicaInfo, WarmTier } from '@warmpool/domain';

/**
 * What the local provider knows about one replica: the port's ReplicaInfo plus the stage
 * timestamps the daemon needs to measure lead time per stage (provision → process start →
 * warming → ready), the process and where its logs are. Returned by `getState` (it is a
 * ReplicaInfo) and typed by `describe`.
 */
export interface LocalReplicaInfo extends ReplicaInfo {
  readonly model: string;
  /** Epoch ms the process was spawned (end of the provisioning delay). */
  readonly processStartedAtMs?: number;
  /** Epoch ms the replica was first seen warming (model loaded). */
  readonly warmingAtMs?: number;
  /** Epoch ms the process ended (drained, crashed or killed). */
  readonly endedAtMs?: number;
  /** Model load and warm-up time as the agent measured them in-process. */
  readonly loadMs?: number;
  readonly warmupMs?: number;
  /** Registered with the load balancer (always false without one). */
  readonly registered: boolean;
  readonly pid?: number;
  readonly url?: string;
  /** Why it failed, or what it waits for. */
  readonly reason?: string;
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  /** Only in `standbys`: a host-tier standby still starting, or warm and standing by (never counted as capacity). */
  readonly standby?: 'starting' | 'standing-by';
  /** A promoted standby: when it was promoted, and when it was first asked for as a standby. */
  readonly promotedAtMs?: number;
  readonly standbySinceMs?: number;
  /** The warmth tier this replica's lead time is measured for (`host`: a promoted standby; `cold`: a full start while the model was in the host tier). */
  readonly warmTier?: WarmTier;
  readonly stdoutLog: string;
  readonly stderrLog: string;
}
