import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { KubeConfig } from '@kubernetes/client-node';
import { WarmpoolError, type HistorySource, type ReplicaProvider, type ScaleQueue } from '@warmpool/domain';
import { createForecaster } from '@warmpool/forecast';
import { AwsAutoScalingProvider } from '@warmpool/provider-aws';
import {
  KubernetesEventRecorder,
  KubernetesLeaseElector,
  KubernetesReplicaProvider,
  loadKubeConfig,
  type KubernetesTarget,
  type RetryPolicy,
} from '@warmpool/provider-kubernetes';
import {
  BullMqScaleQueue,
  InProcessScaleQueue,
  RedisDecisionStream,
  RedisLeaderLock,
  systemClock,
  type TimerClock,
} from '@warmpool/queue';
import { createHistorySource } from '@warmpool/history';
import type { Forecaster } from '@warmpool/domain';
import { DaemonHttpServer } from '../http/daemon-http-server.js';
import type { HistoryConfig, ModelConfig, WarmpoolConfig } from '../config/warmpool-config.js';
import type { ScalingPolicyName } from './baseline-policy.js';
import type { PlannerOptions } from '@warmpool/planner';
import { Daemon, type DaemonDeps } from './daemon.js';
import { actGuardedQueue } from './act-guarded-queue.js';
import { AdviceBoard } from '../keda/advice-board.js';
import { KedaExternalScalerServer } from '../keda/keda-external-scaler-server.js';
import { loggedError, type DaemonLogRecord } from './daemon-record.js';
import { DecisionLog, StreamSink, type RecordSink } from './decision-log.js';
import type { DemandFeed } from './demand-feed.js';
import { FileCheckpointStore, type CheckpointStore } from './checkpoint-store.js';
import { FileSink, type FileSinkOptions } from './file-sink.js';
import { RedisCheckpointStore } from './redis-checkpoint-store.js';
import { HistoryDemandFeed } from './history-demand-feed.js';
import { KubernetesLeaseLeadership } from './kubernetes-lease-leadership.js';
import { SoleLeader, type Leadership } from './leadership.js';
import { loadBalancerDemand } from './load-balancer-demand.js';
import { LoadBalancerMembership } from './load-balancer-membership.js';
import { createLocalProcessProvider } from './local-provider-factory.js';
import { NoDemandFeed } from './no-demand-feed.js';
import { PerSecondDemandFeed } from './per-second-demand-feed.js';
import { RedisLockLeadership } from './redis-lock-leadership.js';
import { RedisStreamSink } from './redis-stream-sink.js';
import { describeReplicaEvent } from './replica-event-text.js';
import { RepeatedDecisionFilter } from './repeated-decision-filter.js';
import { StdoutRecordSink } from './stdout-record-sink.js';
import { createLogger, resolveLogLevel, type Logger, type LogLevel } from '@warmpool/telemetry';

/** How the history source and the local provider are built; defaults: @warmpool/history and @warmpool/provider-local. */
export interface DaemonFactories {
  /** Builds the history source for `history.kind` prometheus|redis|csv. Default: `createHistorySource(config.settings)`. */
  readonly createHistory?: (config: HistoryConfig, models: readonly ModelConfig[]) => HistorySource;
  /** Builds the provider for `provider.kind: local`. Default: LocalProcessProvider (warmpool-agent processes). */
  readonly createLocalProvider?: (config: WarmpoolConfig) => ReplicaProvider;
  /**
   * `provider.kind: local`: count a replica ready only while the load balancer routes to it (LoadBalancerMembership,
   * reading its table with WARMPOOL_LB_TOKEN every tick). Default: on for the built-in local provider, off for one
   * from `createLocalProvider` (tests' fakes) unless set.
   */
  readonly reconcileWithLoadBalancer?: boolean;
  /** Builds each model's forecaster. Default: the ensemble with the planner's quantile and step. */
  readonly makeForecaster?: (quantile: number, stepS: number) => Forecaster;
}

export interface BuildDaemonOptions extends DaemonFactories {
  readonly config: WarmpoolConfig;
  readonly dryRun?: boolean;
  /** Who decides: the ModelPlanner (`predictive`, default) or a baseline (`hpa`, `kpa`; the end-to-end benchmark). */
  readonly policy?: ScalingPolicyName;
  /** Baselines only: their periods and windows divided by this (see BaselinePolicy). Default 1. */
  readonly baselineTimeScale?: number;
  /** Planner options for every model loop (e.g. a shorter panic hold in a time-compressed world). */
  readonly planner?: Partial<PlannerOptions>;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where decisions are printed. Default process.stdout. */
  readonly stdout?: Writable & { isTTY?: boolean };
  /**
   * Plain holds (a decision that changed nothing) on stdout: `none`, `changed` (a decision that acted on nothing, a
   * hold or any `--dry-run` decision, only when it says something the model's last one did not) or `all`. Default
   * `changed`, `all` at log level debug or trace;
   * `stdoutSkipsHolds: true` is `none`, `false` is `all` (the local world's `--holds`).
   */
  readonly stdoutHolds?: 'none' | 'changed' | 'all';
  readonly stdoutSkipsHolds?: boolean;
  /** The daemon's log level (stdout's log lines; decisions are not logs). Default WARMPOOL_LOG_LEVEL in `env`, else info. */
  readonly logLevel?: LogLevel;
  /** The logger itself (tests). Default: pino on `stdout`, JSON unless a terminal (`decisionLog.format` forces either). */
  readonly logger?: Logger;
  /** Size rotation of `decisionLog.file`. Default 64 MiB, 5 rotated files kept. */
  readonly decisionFile?: FileSinkOptions;
  /** Where the forecaster state and lead times are checkpointed: default Redis (queue or lock URL) when the config
   * has one, else `<stateDir>/.warmpool/checkpoint.json`; `false`: none. */
  readonly checkpoint?: CheckpointStore | false;
  readonly checkpointEveryMs?: number;
  /** More destinations of the decision log (the local world keeps its decisions for the summary). */
  readonly extraSinks?: readonly RecordSink[];
  /** Told the dashboard's feed when the config has an HTTP server (the local world adds request latency to it). */
  readonly onDashboardFeed?: (feed: DaemonHttpServer['feed']) => void;
  readonly clock?: TimerClock;
  /** Kubernetes client config (tests point it at the fake); default from `provider.inCluster` / `kubeconfigPath`. */
  readonly kubeConfig?: KubeConfig;
  /** AWS Auto Scaling client (tests point it at the fake); default built from `provider.region` / `endpoint`. */
  readonly awsClient?: AutoScalingClient;
  /** Overrides for the queue (tests: short backoffs). */
  readonly queueOptions?: {
    readonly attempts?: number;
    readonly backoffBaseMs?: number;
    readonly lockDurationMs?: number;
    readonly stalledIntervalMs?: number;
    readonly prefix?: string;
  };
  /** Provider retry overrides (tests: no waiting). */
  readonly kubernetesRetry?: Partial<RetryPolicy>;
  readonly awsRetry?: { readonly maxAttempts?: number; readonly baseDelayMs?: number; readonly maxDelayMs?: number };
}

function identityOf(config: WarmpoolConfig, env: Readonly<Record<string, string | undefined>>): string {
  return config.leaderElection.identity ?? env.POD_NAME ?? `${hostname()}-${process.pid}`;
}

/**
 * The composition root of `warmpool run`: builds the provider, history source, queue, leadership, event recorder
 * and decision log a config asks for, and the Daemon over them. Nothing is connected until `daemon.start()` (Redis
 * clients connect lazily and report failures as typed errors in the log).
 */
export function buildDaemon(o: BuildDaemonOptions): Daemon {
  const { config } = o;
  const env = o.env ?? process.env;
  const clock = o.clock ?? systemClock;
  const identity = identityOf(config, env);
  const closers: (() => Promise<void>)[] = [];

  const stdout = o.stdout ?? process.stdout;
  const logLevel = o.logLevel ?? resolveLogLevel(undefined, env);
  const logger =
    o.logger ??
    createLogger({ component: 'daemon', level: logLevel, destination: stdout, format: config.decisionLog.format });
  const holds =
    o.stdoutHolds ??
    (o.stdoutSkipsHolds === true
      ? 'none'
      : o.stdoutSkipsHolds === false || logger.isLevelEnabled('debug')
        ? 'all'
        : 'changed');
  const decisionsOut = new StreamSink(stdout, config.decisionLog.format, 'stdout', holds === 'none');
  const sinks: RecordSink[] = [
    new StdoutRecordSink(holds === 'changed' ? new RepeatedDecisionFilter(decisionsOut) : decisionsOut, logger),
    ...(o.extraSinks ?? []),
  ];
  // The durable logs get an unchanged hold once every 10 ticks at most (a heartbeat; stdout only when it changed).
  const holdRepeatMs = config.tickS * 10_000;
  if (config.decisionLog.file)
    sinks.push(
      new RepeatedDecisionFilter(new FileSink(config.decisionLog.file, o.decisionFile), {
        leaveOut: 'holds',
        repeatEveryMs: holdRepeatMs,
      }),
    );
  if (config.decisionLog.redisStreamKey) {
    const stream = new RedisDecisionStream({
      redisUrl: config.decisionLog.redisUrl!,
      key: config.decisionLog.redisStreamKey,
    });
    sinks.push(
      new RepeatedDecisionFilter(new RedisStreamSink(stream, config.decisionLog.redisStreamKey), {
        leaveOut: 'holds',
        repeatEveryMs: holdRepeatMs,
      }),
    );
  }
  let http: DaemonHttpServer | undefined;
  if (config.http) {
    http = new DaemonHttpServer({
      host: config.http.host,
      port: config.http.port,
      onError: (err) =>
        write({
          kind: 'error',
          time: iso(),
          event: 'dashboard-error',
          message: 'the dashboard refused a record',
          error: loggedError('dashboard', err),
        }),
    });
    sinks.push(http.sink);
    o.onDashboardFeed?.(http.feed);
  }
  // KEDA's external scaler serves the advise-mode models' decisions (kedaScaler:); it listens on start.
  let kedaScaler: KedaExternalScalerServer | undefined;
  let built: Daemon | undefined;
  if (config.kedaScaler) {
    // the models as the running daemon has them (reloads included)
    const board = new AdviceBoard(() =>
      (built?.currentConfig ?? config).models.map((m) => ({ name: m.spec.name, mode: m.spec.mode })),
    );
    sinks.push(board);
    kedaScaler = new KedaExternalScalerServer(board, config.kedaScaler);
  }
  const log = new DecisionLog(sinks, (sink, err) =>
    logger.error(
      { event: 'sink-failed', sink, err },
      `decision log sink ${sink} failed; the other sinks still get every record`,
    ),
  );
  const write = (r: DaemonLogRecord): void => log.write(r);
  const iso = (): string => new Date(clock.now()).toISOString();

  let kubeConfig = o.kubeConfig;
  const kube = (): KubeConfig => {
    if (config.provider.kind !== 'kubernetes')
      throw new WarmpoolError('E_CONFIG', 'Kubernetes client asked for without provider.kind kubernetes');
    kubeConfig ??= loadKubeConfig(
      config.provider.kubeconfigPath !== undefined
        ? { kubeconfigPath: config.provider.kubeconfigPath }
        : config.provider.inCluster
          ? { inCluster: true }
          : {},
    );
    return kubeConfig;
  };

  let provider: ReplicaProvider;
  let recordEvent: DaemonDeps['recordEvent'];
  /** Refuses a scale before it is enqueued (an HPA or a KEDA ScaledObject targets the workload). */
  let canAct: ((model: string) => Promise<void>) | undefined;
  if (config.provider.kind === 'kubernetes') {
    const targets = new Map<string, KubernetesTarget>();
    for (const m of config.models) if (m.target.kind === 'kubernetes') targets.set(m.spec.name, m.target.kubernetes);
    const recorder = new KubernetesEventRecorder({
      kubeConfig: kube(),
      component: config.provider.eventComponent,
      instance: identity,
      nowMs: () => clock.now(),
      ...(o.kubernetesRetry ? { retry: o.kubernetesRetry } : {}),
    });
    // The same recorder writes the ReplicaFailed Event on each pod a replacement deletes; a failed Event is logged.
    const kubernetes = new KubernetesReplicaProvider({
      kubeConfig: kube(),
      targets,
      retry: { requestTimeoutMs: config.provider.requestTimeoutMs, ...o.kubernetesRetry },
      events: recorder,
      onEventFailed: (err) =>
        write({
          kind: 'error',
          time: iso(),
          event: 'event-failed',
          message: 'could not record the ReplicaFailed Event on a replaced pod',
          error: loggedError('event', err),
        }),
    });
    provider = kubernetes;
    canAct = (model) => kubernetes.checkCanAct(model);
    recordEvent = async (m, d) => {
      if (m.target.kind !== 'kubernetes') return;
      const t = m.target.kubernetes;
      await recorder.recordDecision({ namespace: t.namespace, kind: t.kind, name: t.name }, d);
    };
  } else if (config.provider.kind === 'aws') {
    const groups: Record<string, unknown> = {};
    for (const m of config.models) if (m.target.kind === 'aws') groups[m.spec.name] = m.target.aws;
    provider = new AwsAutoScalingProvider({
      groups,
      ...(o.awsClient
        ? { client: o.awsClient }
        : {
            clientOptions: {
              region: config.provider.region,
              requestTimeoutMs: config.provider.requestTimeoutMs,
              ...(config.provider.endpoint ? { endpoint: config.provider.endpoint } : {}),
            },
          }),
      clock: () => clock.now(),
      ...(o.awsRetry ? { retry: o.awsRetry } : {}),
    });
  } else {
    provider = o.createLocalProvider
      ? o.createLocalProvider(config)
      : createLocalProcessProvider(config, env, (e) =>
          write({ kind: 'daemon', time: iso(), ...describeReplicaEvent(e) }),
        );
    // Ready means routed by the load balancer: reconciled with its table every tick.
    if (o.reconcileWithLoadBalancer ?? !o.createLocalProvider)
      provider = new LoadBalancerMembership(provider, config.provider.loadBalancerUrl, env.WARMPOOL_LB_TOKEN);
  }

  let history: HistorySource | undefined;
  if (config.history.kind !== 'none') {
    history = o.createHistory
      ? o.createHistory(config.history, config.models)
      : createHistorySource(config.history.settings, { source: config.source });
  }

  const q = o.queueOptions ?? {};
  const queue: ScaleQueue =
    config.queue.kind === 'redis'
      ? new BullMqScaleQueue({ redisUrl: config.queue.redisUrl!, queueName: config.queue.name, ...q })
      : new InProcessScaleQueue({
          clock,
          ...(q.attempts ? { attempts: q.attempts } : {}),
          ...(q.backoffBaseMs ? { backoffBaseMs: q.backoffBaseMs } : {}),
        });

  const le = config.leaderElection;
  const onLeader = (event: string, message: string): void => write({ kind: 'leader', time: iso(), event, message });
  const onLeaderError = (err: unknown): void =>
    write({
      kind: 'error',
      time: iso(),
      event: 'leader-error',
      message: 'leader election step failed; retrying',
      error: loggedError('leader', err),
    });
  let leadership: Leadership;
  if (le.kind === 'redis-lock') {
    leadership = new RedisLockLeadership(
      new RedisLeaderLock({
        redisUrl: le.redisUrl!,
        key: le.name,
        holderId: identity,
        ttlMs: le.leaseDurationS * 1000,
        clock,
      }),
      onLeader,
      onLeaderError,
    );
  } else if (le.kind === 'kubernetes-lease') {
    const elector = new KubernetesLeaseElector({
      kubeConfig: kube(),
      namespace: le.namespace,
      name: le.name,
      identity,
      leaseDurationS: le.leaseDurationS,
      renewIntervalS: Math.max(1, le.leaseDurationS / 3),
      retryIntervalS: Math.max(1, le.leaseDurationS / 7),
      nowMs: () => clock.now(),
      timers: { setTimeout: (fn, ms) => clock.setTimer(fn, ms), clearTimeout: (h) => clock.clearTimer(h) },
      onStartedLeading: () => onLeader('elected', `${identity} holds Lease ${le.namespace}/${le.name}`),
      onStoppedLeading: () => onLeader('lost', `${identity} no longer holds Lease ${le.namespace}/${le.name}`),
      onError: onLeaderError,
      ...(o.kubernetesRetry ? { retry: o.kubernetesRetry } : {}),
    });
    leadership = new KubernetesLeaseLeadership(elector, identity);
  } else {
    leadership = new SoleLeader(identity);
  }

  const demandFeed = (m: ModelConfig, tickS: number): DemandFeed => {
    if (config.provider.kind === 'local')
      return new PerSecondDemandFeed(
        m.spec.name,
        m.stepS,
        tickS,
        loadBalancerDemand(config.provider.loadBalancerUrl, env.WARMPOOL_LB_TOKEN),
      );
    if (history) return new HistoryDemandFeed(m.spec.name, m.stepS, history);
    return new NoDemandFeed();
  };

  let checkpoint: CheckpointStore | undefined;
  if (o.checkpoint !== false) {
    const redisUrl = config.queue.redisUrl ?? (le.kind === 'redis-lock' ? le.redisUrl : undefined);
    checkpoint =
      o.checkpoint ??
      (redisUrl
        ? new RedisCheckpointStore(redisUrl, `warmpool:checkpoint:${config.queue.name}`)
        : new FileCheckpointStore(join(config.stateDir, '.warmpool', 'checkpoint.json')));
  }

  built = new Daemon(
    config,
    {
      clock,
      provider,
      queue: canAct
        ? actGuardedQueue(queue, async (job) => canAct?.(job.request.model), {
            onRefused: (model, err) =>
              write({
                kind: 'error',
                time: iso(),
                model,
                event: 'autoscaler-conflict',
                message:
                  'warmpool refuses to scale this model while another autoscaler targets its workload (the other models go on)',
                error: loggedError('enqueue', err),
              }),
            onCleared: (model) =>
              write({
                kind: 'daemon',
                time: iso(),
                model,
                event: 'autoscaler-conflict-cleared',
                message: 'no other autoscaler targets the workload any more: scaling again',
              }),
          })
        : queue,
      history,
      demandFeed,
      leadership,
      log,
      makeForecaster: o.makeForecaster ?? ((quantile, stepS) => createForecaster('ensemble', { quantile, stepS })),
      ...(http ? { http } : {}),
      ...(o.policy ? { policy: o.policy } : {}),
      ...(o.baselineTimeScale ? { baselineTimeScale: o.baselineTimeScale } : {}),
      ...(o.planner ? { planner: o.planner } : {}),
      ...(recordEvent ? { recordEvent } : {}),
      ...(kedaScaler ? { kedaScaler } : {}),
      ...(checkpoint ? { checkpoint } : {}),
      ...(o.checkpointEveryMs !== undefined ? { checkpointEveryMs: o.checkpointEveryMs } : {}),
      closers,
    },
    { dryRun: o.dryRun ?? false },
  );
  return built;
}
