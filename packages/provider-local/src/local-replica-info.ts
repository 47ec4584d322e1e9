import type { ReplicaInfo } from '@warmpool/domain';

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
  readonly stdoutLog: string;
  readonly stderrLog: string;
}
