import type { ModelSpec } from '@warmpool/domain';
import type { HistoryConfig as HistorySettings } from '@warmpool/history';
import type { AwsGroupConfig } from '@warmpool/provider-aws';
import type { KubernetesTarget } from '@warmpool/provider-kubernetes';
import type { KedaScalerConfig } from '../keda/keda-scaler-config.js';

export type ProviderKind = 'local' | 'kubernetes' | 'aws';
export type HistoryKind = 'prometheus' | 'redis' | 'csv' | 'none';
export type QueueKind = 'in-process' | 'redis';
export type LeaderElectionKind = 'none' | 'kubernetes-lease' | 'redis-lock';

/** Where a local model's replicas come from (processes on this machine, behind the local load balancer). */
export interface LocalTarget {
  /** ONNX file the warm-up agent loads (resolved against the config file's folder), or a bundled model name. */
  readonly modelFile: string;
  /** Extra arguments for the model server / warm-up agent (`--providers cpu --spec spec.json`). */
  readonly args: readonly string[];
  /** Wait before a replica's process starts, standing in for GPU node start. */
  readonly provisionDelayMs: number;
}

/** A model's provider target; which one is set follows `provider.kind`. */
export type ModelTarget =
  | { readonly kind: 'kubernetes'; readonly kubernetes: KubernetesTarget }
  | { readonly kind: 'aws'; readonly aws: AwsGroupConfig }
  | { readonly kind: 'local'; readonly local: LocalTarget };

export interface ModelConfig {
  readonly spec: ModelSpec;
  readonly target: ModelTarget;
  /** Forecast step (seconds): the history resolution the model's planner works at; >= tickS. */
  readonly stepS: number;
  /** Warm-up spec file (JSON) the replicas run, resolved against the config file's folder; the local provider passes it as `--spec`. */
  readonly warmupSpec: string | undefined;
  /** History query override (PromQL for prometheus; key for redis; file for csv). */
  readonly historyQuery: string | undefined;
}

export type ProviderConfig =
  | {
      readonly kind: 'kubernetes';
      readonly inCluster: boolean;
      readonly kubeconfigPath: string | undefined;
      readonly requestTimeoutMs: number;
      readonly eventComponent: string;
    }
  | {
      readonly kind: 'aws';
      readonly region: string;
      readonly endpoint: string | undefined;
      readonly requestTimeoutMs: number;
    }
  | {
      readonly kind: 'local';
      readonly loadBalancerUrl: string;
      /** `run` starts the local load balancer itself on loadBalancerUrl (token: WARMPOOL_LB_TOKEN, else generated and printed). */
      readonly startLoadBalancer: boolean;
      /** Per-replica logs and files; relative paths go under the state directory. */
      readonly runDir: string;
      readonly agentBinPath: string | undefined;
    };

export interface HistoryConfig {
  readonly kind: HistoryKind;
  /**
   * The `history:` mapping as @warmpool/history validated it (`createHistorySource` takes it), with the models'
   * `historyQuery` overrides merged in and CSV paths made absolute; undefined for `kind: none`.
   */
  readonly settings: HistorySettings | undefined;
  /** How much history is backfilled at start. */
  readonly backfillS: number;
}

export interface QueueConfig {
  readonly kind: QueueKind;
  readonly redisUrl: string | undefined;
  /** BullMQ queue name. */
  readonly name: string;
}

export interface DecisionLogConfig {
  /** JSON-lines file (absolute); undefined: stdout only. */
  readonly file: string | undefined;
  /** Also append decisions to this Redis stream key (undefined: off). */
  readonly redisStreamKey: string | undefined;
  readonly redisUrl: string | undefined;
  /** stdout format: auto (JSON unless a terminal), json, text. */
  readonly format: 'auto' | 'json' | 'text';
}

export interface LeaderElectionConfig {
  readonly kind: LeaderElectionKind;
  /** Lease namespace (kubernetes-lease). */
  readonly namespace: string;
  /** Lease name or Redis key. */
  readonly name: string;
  /** This daemon's identity; default POD_NAME or hostname + pid. */
  readonly identity: string | undefined;
  readonly leaseDurationS: number;
  readonly redisUrl: string | undefined;
}

/** `http:` — the daemon's own server (`/ui` dashboard, `/healthz`, `/metrics`); absent: no server. */
export interface HttpConfig {
  /** Address to bind; default 127.0.0.1 (loopback). */
  readonly host: string;
  /** TCP port; default 9464; 0 lets the OS pick. */
  readonly port: number;
}

/** The whole `warmpool.yaml`, validated, with defaults filled and paths resolved. */
export interface WarmpoolConfig {
  /** The file it was read from (for messages). */
  readonly source: string;
  readonly tickS: number;
  readonly dryRun: boolean;
  readonly gpuBudgetBytes: number | undefined;
  /** Where relative output paths (provider.runDir, decisionLog.file) were resolved (absolute). */
  readonly stateDir: string;
  readonly models: readonly ModelConfig[];
  readonly provider: ProviderConfig;
  readonly history: HistoryConfig;
  readonly queue: QueueConfig;
  readonly decisionLog: DecisionLogConfig;
  readonly leaderElection: LeaderElectionConfig;
  /** The daemon's HTTP server; undefined (the default): none. */
  readonly http?: HttpConfig | undefined;
  /** KEDA's external scaler gRPC server for the `mode: advise` models; undefined (the default): none. */
  readonly kedaScaler?: KedaScalerConfig | undefined;
}
