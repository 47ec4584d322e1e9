import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ValidationError } from '@warmpool/domain';
import { createForecaster } from '@warmpool/forecast';
import { DEFAULT_PLANNER_OPTIONS } from '@warmpool/planner';
import { readTraceCsv, sliceTrace, summarizeLoad, TraceLoadGenerator, type LoadRunResult } from '@warmpool/loadgen';
import { timeScaler } from '@warmpool/sim';
import { type LocalProcessProvider, portIsFree } from '@warmpool/provider-local';
import { createLogger, resolveLogLevel } from '@warmpool/telemetry';
import type { WarmpoolConfig } from '../config/warmpool-config.js';
import { buildDaemon } from '../daemon/build-daemon.js';
import type { Daemon } from '../daemon/daemon.js';
import type { DaemonEventRecord } from '../daemon/daemon-record.js';
import { describeReplicaEvent } from '../daemon/replica-event-text.js';
import { logRecord } from '../daemon/stdout-record-sink.js';
import { createLocalProcessProvider } from '../daemon/local-provider-factory.js';
import { compressTrace, historyCsv } from './compressed-history.js';
import { freePort } from './free-port.js';
import { localWorldConfig } from './local-world-config.js';
import { resolveWorldOptions, type LocalWorldOptions, type ResolvedWorldOptions } from './local-world-options.js';
import type { LocalWorldIo, LocalWorldResult } from './local-world-result.js';
import { LatencyPerSecond } from './latency-per-second.js';
import { MemoryDecisionSink } from './memory-decision-sink.js';
import { createWorldLoadBalancer } from './world-load-balancer.js';
import { registrationTimes, summarizeWorld, type PoolEvent, type ReplicaLifetime } from './world-summary.js';
import { StopSignal, waitFirstTick, waitInitialWarmUp } from './initial-warm-up.js';

/**
 * The embedded default, in one process: a load balancer on 127.0.0.1, replicas as `warmpool-agent serve` processes
 * (LocalProcessProvider, with a provisioning delay standing in for GPU node start), the daemon (the same Daemon and
 * ModelLoop as `warmpool run`: in-process queue, live demand from the load balancer, history backfilled from the
 * earlier part of the trace) with its dashboard at `/ui`, and a TraceLoadGenerator replaying the trace against the
 * load balancer, time-compressed. `start()` returns once everything runs; `finished` resolves after the replay ends
 * (or `stop()`), with every process, port and timer closed.
 */
export class LocalWorld {
  readonly options: ResolvedWorldOptions;
  readonly config: WarmpoolConfig;
  readonly lbUrl: string;
  readonly dashboardUrl: string;
  /** Replicas started (and warm) before the load begins. */
  readonly initialReplicas: number;
  readonly finished: Promise<LocalWorldResult>;
  private stopReason: string | undefined;
  private resolveStopped: () => void = () => undefined;
  /** Resolves at the first `stop()`: what the waits before the replay race against. */
  private readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));
  private generator: TraceLoadGenerator | undefined;

  private constructor(
    options: ResolvedWorldOptions,
    config: WarmpoolConfig,
    lbUrl: string,
    dashboardUrl: string,
    initialReplicas: number,
    run: (world: LocalWorld) => Promise<LocalWorldResult>,
  ) {
    this.options = options;
    this.config = config;
    this.lbUrl = lbUrl;
    this.dashboardUrl = dashboardUrl;
    this.initialReplicas = initialReplicas;
    this.finished = run(this);
  }

  /** Ends the run early (SIGINT/SIGTERM): no more load, then the daemon, replicas and load balancer close. */
  stop(reason = 'stop'): void {
    this.stopReason ??= reason;
    this.resolveStopped();
    this.generator?.stop();
  }

  /** Builds and starts the world; `onReady` gets the dashboard URL before anything is printed by the daemon. */
  static async start(
    input: LocalWorldOptions = {},
    io: LocalWorldIo = {},
    onReady: (world: { dashboardUrl: string; lbUrl: string }) => void = () => undefined,
  ): Promise<LocalWorld> {
    const o = resolveWorldOptions(input);
    const stdout = io.stdout ?? process.stdout;
    const ownRunDir = o.runDir === undefined;
    const runDir = o.runDir ?? mkdtempSync(join(tmpdir(), 'warmpool-world-'));
    mkdirSync(runDir, { recursive: true });
    const closers: (() => Promise<void>)[] = [];
    const cleanup = async (): Promise<void> => {
      while (closers.length) await closers.pop()!().catch(() => undefined);
      if (ownRunDir) rmSync(runDir, { recursive: true, force: true });
    };
    try {
      const trace = await readTraceCsv(o.tracePath);
      const replayToS = o.replayFromS + o.durationS * o.speedX;
      const historyFromS = Math.max(trace.startS, o.replayFromS - o.historyS * o.speedX);
      const both = sliceTrace(trace, historyFromS, replayToS - historyFromS);
      const peakBin = both.counts.reduce((m, c) => Math.max(m, c), 0);
      const scale = peakBin > 0 ? (o.peakPerS * both.binS) / (peakBin * o.speedX) : 0;
      const replay = sliceTrace(trace, o.replayFromS, replayToS - o.replayFromS);
      if (replay.counts.length === 0) {
        throw new ValidationError(
          [
            {
              path: 'replayFromS',
              value: o.replayFromS,
              allowed: `a trace second before the end of ${o.tracePath} (${trace.startS + trace.counts.length * trace.binS} s)`,
            },
          ],
          'local world options',
        );
      }
      const history = compressTrace(trace, historyFromS, o.replayFromS, o.speedX, scale);
      const historyFile = join(runDir, `${o.model}-history.csv`);
      // Written again (in epoch seconds) right before the daemon starts, so it ends where the live load begins.
      writeFileSync(historyFile, historyCsv(history));
      const specFile = join(runDir, 'warmup-spec.json');
      writeFileSync(
        specFile,
        JSON.stringify({ shapes: o.shapes, windowSize: 3, tolerance: 0.5, keepWarmIdleS: 0, budgetS: o.warmupBudgetS }),
      );

      const pool: PoolEvent[] = [];
      // the world's own events (replicas joining and leaving the load balancer, failures) on the one logger
      const worldLogger = createLogger({
        component: 'world',
        level: o.logLevel ?? resolveLogLevel(undefined, process.env),
        destination: stdout,
        format: o.format,
      });
      const worldLog = { write: (r: DaemonEventRecord): void => logRecord(worldLogger, r) };
      const iso = (): string => new Date().toISOString();
      const token = randomBytes(16).toString('hex');
      const lb = createWorldLoadBalancer(o.model, token, pool, worldLog);
      const { url: lbUrl } = await lb.listen();
      closers.push(() => lb.close());

      const httpPort = o.httpPort !== 0 && (await portIsFree(o.httpPort)) ? o.httpPort : await freePort();
      const config = localWorldConfig(o, {
        lbUrl,
        runDir,
        httpPort,
        historyFile,
        specFile,
        historyS: history.countsPerS.length,
      });

      const pids = new Set<number>();
      let provider: LocalProcessProvider | undefined;
      const memory = new MemoryDecisionSink();
      let dashboardFeed: Parameters<NonNullable<Parameters<typeof buildDaemon>[0]['onDashboardFeed']>>[0] | undefined;
      // The dashboard plots the replay's request latency p95 per second against the SLA line.
      const latency = new LatencyPerSecond((point) => {
        try {
          dashboardFeed?.recordLatency(o.model, point);
        } catch {
          // a point the feed refuses is left out of the chart; the run goes on
        }
      });
      const env = { WARMPOOL_LB_TOKEN: token };
      const daemon: Daemon = buildDaemon({
        config,
        env,
        stdout,
        stdoutSkipsHolds: !o.printHolds,
        // the daemon's env here is the world's own (the token): else the level comes from this process's WARMPOOL_LOG_LEVEL
        logLevel: o.logLevel ?? resolveLogLevel(undefined, process.env),
        extraSinks: [memory],
        onDashboardFeed: (feed) => (dashboardFeed = feed),
        policy: o.policy,
        baselineTimeScale: o.policyTimeScale,
        // The planner's panic hold (30 s by default) in this world's time.
        planner: { panicHoldS: timeScaler(o.policyTimeScale)(DEFAULT_PLANNER_OPTIONS.panicHoldS) },
        // Time runs speedX times faster than the trace's: a trace day lasts 86 400 / speedX wall seconds.
        makeForecaster: (quantile, stepS) =>
          createForecaster('ensemble', {
            quantile,
            stepS,
            levelHalfLifeS: Math.max(4 * stepS, 10),
            dayS: Math.max(2 * stepS, 86_400 / o.speedX),
          }),
        reconcileWithLoadBalancer: true,
        createLocalProvider: (c) => {
          provider = createLocalProcessProvider(c, env, (e) => {
            if (typeof e['pid'] === 'number') pids.add(e['pid']);
            io.onReplicaEvent?.(e);
            if (e['event'] === 'replica-phase' && e['phase'] === 'failed') {
              const { message, detail } = describeReplicaEvent(e);
              worldLog.write({ kind: 'error', time: iso(), model: o.model, event: 'replica-failed', message, detail });
            }
          }) as LocalProcessProvider;
          return provider;
        },
      });
      // Stops ticks, closes the queue, the provider (its replica processes) and the HTTP server; fine before start().
      closers.push(() => daemon.stop('local world ends'));

      // Start warm: the replicas the last minute of history needed, before any load arrives.
      const recent = history.countsPerS.slice(-30);
      const recentPerS = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 0;
      const initial = Math.min(
        o.maxReplicas,
        o.initialReplicas > 0
          ? o.initialReplicas
          : Math.max(o.minWarmReplicas, 1, Math.ceil(recentPerS / (o.capacityPerReplicaPerS * 0.7))),
      );
      // The URL is printed first; the page is up while the first replicas warm.
      const dashboardUrl = `http://127.0.0.1:${httpPort}/ui`;
      onReady({ dashboardUrl, lbUrl });
      await daemon.listenHttp();
      const run = async (w: LocalWorld): Promise<LocalWorldResult> => {
        let endedBy = 'the replay ended';
        let load: LoadRunResult | undefined;
        let replayStartMs = Date.now();
        let replayEndMs: number | undefined;
        let loadAtStart = loadavg()[0]!;
        // Replica lifetimes as the provider reports them (requested → ended), for the replica-seconds of the replay.
        const lifetimes = new Map<string, ReplicaLifetime>();
        const sample = (): void => {
          const now = Date.now();
          for (const r of provider?.describe(o.model) ?? []) {
            const seen = lifetimes.get(r.id);
            lifetimes.set(r.id, {
              id: r.id,
              requestedAtMs: r.requestedAtMs,
              endedAtMs: r.endedAtMs ?? seen?.endedAtMs,
              lastSeenMs: now,
            });
            if (r.pid !== undefined) pids.add(r.pid);
          }
        };
        const sampler = setInterval(sample, 250);
        closers.push(async () => clearInterval(sampler));
        try {
          await provider!.scale({
            model: o.model,
            replicas: initial,
            idempotencyKey: `local-world-initial-${token}`,
            reason: 'MinWarmPool',
            message: `start warm with ${initial} replica(s)`,
          });
          // A replica that dies in its warm-up is replaced (a few times at most), as the daemon does later.
          await waitInitialWarmUp(provider!, o.model, {
            timeoutMs: 180_000,
            keyPrefix: `local-world-initial-${token}`,
            stopped: () => w.stopReason,
            onReplace: (id, reason) =>
              worldLog.write({
                kind: 'error',
                time: iso(),
                model: o.model,
                event: 'replica-replaced',
                message: `${id} failed in warm-up (${reason}); replacing it`,
              }),
          });
          // Ready replicas register with the load balancer just after: the first requests must find them there.
          for (let i = 0; i < 100 && registrationTimes(pool).size < initial && !w.stopReason; i++)
            await new Promise((resolve) => setTimeout(resolve, 50));
          const gen = new TraceLoadGenerator(
            {
              targetUrl: lbUrl,
              model: o.model,
              trace: replay,
              speedX: o.speedX,
              scale,
              arrival: 'poisson',
              seed: o.seed,
              shapes: o.shapes,
              maxConcurrency: o.loadMaxConcurrency,
              timeLimitMs: Math.ceil(o.durationS * 1000 + 30_000),
              requestTimeoutMs: o.requestTimeoutMs,
            },
            { latencyTargetMs: o.latencyTargetP95Ms, windowS: o.spikeWindowS, onRecord: (r) => latency.add(r) },
          );
          w.generator = gen;
          // The history ends at the current step boundary, where the live load begins. (Should a boundary pass before
          // the daemon's backfill reads it, the step in between is reported as a gap: no load ran in it.)
          const endS = Math.floor(Date.now() / 1000 / o.stepS) * o.stepS;
          writeFileSync(historyFile, historyCsv(history, endS - history.countsPerS.length));
          await daemon.start();
          // The daemon's first tick (its first forecast over the backfilled history) runs at once: let it finish before
          // the load starts, so that it does not stall this process's event loop (the load generator and the load
          // balancer run here too) in the replay's first second and bunch the first requests into a burst.
          await waitFirstTick(daemon, 5_000, w.stopped);
          io.onReplayStart?.();
          replayStartMs = Date.now();
          loadAtStart = loadavg()[0]!;
          if (w.stopReason) gen.stop();
          load = await gen.run();
          latency.flush();
          replayEndMs = Date.now();
          if (w.stopReason) endedBy = w.stopReason;
        } catch (err) {
          if (!(err instanceof StopSignal)) {
            await cleanup();
            throw err;
          }
          endedBy = err.message;
        }
        // Before the daemon stops them: replicas still running end with the replay.
        sample();
        clearInterval(sampler);
        const loadAtEnd = loadavg()[0]!;
        await cleanup();
        // Stopped before the replay began: an empty replay at the stop.
        const endMs = replayEndMs ?? replayStartMs;
        const empty: LoadRunResult = {
          startMs: replayStartMs,
          endMs,
          planned: 0,
          notSent: 0,
          stoppedBy: 'stopped',
          scale,
          records: [],
          summary: summarizeLoad([], { startMs: replayStartMs }),
        };
        const used = load ?? empty;
        const replicas = [...lifetimes.values()];
        return {
          summary: summarizeWorld(
            used,
            memory.decisions,
            pool,
            o.capacityPerReplicaPerS,
            { lifetimes: replicas, replayStartMs, replayEndMs: endMs },
            {
              outcomes: memory.outcomes,
              latencyTargetP95Ms: o.latencyTargetP95Ms,
              cpuCount: availableParallelism(),
              provisionDelayMs: o.provisionDelayMs,
            },
          ),
          load: used,
          decisions: memory.decisions,
          pool,
          replicaPids: [...pids],
          replayStartMs,
          replayEndMs: endMs,
          replicas,
          registeredAtMs: registrationTimes(pool),
          loadAvg1m: { atStart: loadAtStart, atEnd: loadAtEnd },
          endedBy,
        };
      };
      return new LocalWorld(o, config, lbUrl, dashboardUrl, initial, run);
    } catch (err) {
      await cleanup();
      throw err;
    }
  }
}
