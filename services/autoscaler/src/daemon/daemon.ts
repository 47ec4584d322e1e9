import type { TimerHandle } from '@warmpool/queue';
import type { ModelConfig, WarmpoolConfig } from '../config/warmpool-config.js';
import { loggedError, type DaemonLogRecord } from './daemon-record.js';
import { ModelLoop, type TickResult } from './model-loop.js';
import type { DaemonDeps, DaemonOptions, DaemonView, Readiness } from './daemon-deps.js';
import { ScaleJobRunner } from './scale-job-runner.js';
import { DaemonCheckpointer } from './daemon-checkpointer.js';
import { DaemonReadiness } from './daemon-readiness.js';
import { FleetTierPlanner } from './fleet-tier-planner.js';
import { planReload, rejectionIssues } from './config-reload.js';

export type { DaemonDeps, DaemonOptions, Readiness } from './daemon-deps.js';

/** Models whose tick starts in one turn of the event loop. */
const TICK_CHUNK = 25;

/**
 * The cluster daemon: one ModelLoop per configured model, ticked together every `tickS` on the injected clock.
 * Scale jobs go through the queue, whose handler calls `provider.scale` with the job id as idempotency key. Only the
 * leader acts; the others decide in dry-run and log `standby`. `reload` swaps in a new config between ticks;
 * `stop` finishes the tick in flight, then closes the queue, the provider, and gives up leadership.
 *
 * Its parts, each in its own file: ScaleJobRunner (the queue's worker and job records), DaemonCheckpointer (durable
 * state), DaemonReadiness (`/readyz`), FleetTierPlanner (warmth tiers), planReload (config reloads).
 */
export class Daemon implements DaemonView {
  private cfg: WarmpoolConfig;
  private modelLoops = new Map<string, ModelLoop>();
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private isRunning = false;
  private stopping: Promise<void> | undefined;
  private lastLeader: boolean | undefined;
  private isCampaigning = false;
  private readonly jobs: ScaleJobRunner;
  private readonly checkpoints: DaemonCheckpointer;
  private readonly ready: DaemonReadiness;
  private readonly fleet: FleetTierPlanner;
  private readonly dryRunFlag: boolean;
  /** Ticks run (for tests and the shutdown line). */
  ticks = 0;
  private firstTickDone: () => void = () => undefined;
  /**
   * Resolves once the first scheduled tick after `start()` has run (every model decided and logged), or when the
   * daemon stops first. Whoever shares this process's event loop can wait it out: the first tick (the first forecast
   * over the backfilled history) is the heaviest.
   */
  readonly firstTick: Promise<void> = new Promise((resolve) => (this.firstTickDone = resolve));

  constructor(
    config: WarmpoolConfig,
    readonly deps: DaemonDeps,
    options: DaemonOptions = {},
  ) {
    this.cfg = config;
    this.dryRunFlag = options.dryRun ?? false;
    this.jobs = new ScaleJobRunner(this);
    this.checkpoints = new DaemonCheckpointer(this);
    this.ready = new DaemonReadiness(this);
    this.fleet = new FleetTierPlanner(this);
    for (const m of config.models) this.modelLoops.set(m.spec.name, this.makeLoop(m));
    deps.http?.setReadiness?.(() => this.readiness());
  }

  get dryRun(): boolean {
    return this.dryRunFlag || this.cfg.dryRun;
  }

  /** `http://host:port` of the daemon's HTTP server once it listens; undefined without one. */
  get httpUrl(): string | undefined {
    return this.deps.http?.url;
  }

  get currentConfig(): WarmpoolConfig {
    return this.cfg;
  }

  get config(): WarmpoolConfig {
    return this.cfg;
  }

  get loops(): ReadonlyMap<string, ModelLoop> {
    return this.modelLoops;
  }

  get running(): boolean {
    return this.isRunning;
  }

  get campaigning(): boolean {
    return this.isCampaigning;
  }

  get wasLeader(): boolean | undefined {
    return this.lastLeader;
  }

  now(): number {
    return this.deps.clock.now();
  }

  iso(): string {
    return new Date(this.now()).toISOString();
  }

  write(record: DaemonLogRecord): void {
    this.deps.log.write(record);
  }

  private makeLoop(m: ModelConfig): ModelLoop {
    return new ModelLoop(
      m,
      {
        provider: this.deps.provider,
        queue: this.deps.queue,
        history: this.deps.history,
        makeForecaster: this.deps.makeForecaster,
        ...(this.deps.planner ? { planner: this.deps.planner } : {}),
        log: (r) => this.write(r),
        ...(this.deps.recordEvent ? { recordEvent: this.deps.recordEvent } : {}),
        jobBucketS: Math.max(60, this.cfg.tickS * 2),
        ...(this.deps.policy ? { policy: this.deps.policy } : {}),
        ...(this.deps.baselineTimeScale ? { baselineTimeScale: this.deps.baselineTimeScale } : {}),
      },
      this.deps.demandFeed(m, this.cfg.tickS),
      this.cfg.tickS,
    );
  }

  /** Backfills every model, starts the queue worker and the election, and schedules the ticks. */
  async start(): Promise<void> {
    if (this.isRunning) return;
    this.isRunning = true;
    const nowMs = this.now();
    this.write({
      kind: 'daemon',
      time: this.iso(),
      event: 'started',
      message: `${this.modelLoops.size} model(s), provider ${this.deps.provider.name}, tick ${this.cfg.tickS} s, leader election ${this.deps.leadership.kind} as ${this.deps.leadership.identity}${this.dryRun ? ', DRY RUN' : ''}`,
    });
    await this.listenHttp();
    await this.listenKedaScaler();
    await Promise.all([...this.modelLoops.values()].map((l) => l.backfill(nowMs, this.cfg.history.backfillS)));
    await this.checkpoints.restore(nowMs);
    // The worker starts paused: it takes scale jobs only while this daemon leads (see ScaleJobRunner.setConsuming).
    this.jobs.start();
    this.campaign();
    this.schedule(0);
  }

  private httpTried = false;

  /**
   * Starts the HTTP server (dashboard, /healthz, /metrics) if the config has one; `start` does it too. Failing to
   * listen (port in use) is logged and the daemon runs without it. Returns its URL.
   */
  async listenHttp(): Promise<string | undefined> {
    if (!this.deps.http || this.httpTried) return this.deps.http?.url;
    this.httpTried = true;
    try {
      const url = await this.deps.http.listen();
      this.write({
        kind: 'daemon',
        time: this.iso(),
        event: 'http-listening',
        message: `dashboard ${url}/ui, health ${url}/healthz, metrics ${url}/metrics`,
      });
      return url;
    } catch (err) {
      this.write({
        kind: 'error',
        time: this.iso(),
        event: 'http-failed',
        message: 'the HTTP server (dashboard, /healthz, /metrics) could not listen; the daemon runs without it',
        error: loggedError('http', err),
      });
      return undefined;
    }
  }

  private async listenKedaScaler(): Promise<void> {
    if (!this.deps.kedaScaler) return;
    try {
      const url = await this.deps.kedaScaler.listen();
      this.write({
        kind: 'daemon',
        time: this.iso(),
        event: 'keda-scaler-listening',
        message: `KEDA external scaler (gRPC) on ${url}: ScaledObjects with type external and metadata { scalerAddress, model } scale advise-mode models`,
      });
    } catch (err) {
      this.write({
        kind: 'error',
        time: this.iso(),
        event: 'keda-scaler-failed',
        message: 'the KEDA external scaler could not listen; the daemon runs without it',
        error: loggedError('http', err),
      });
    }
  }

  /** A dry-run daemon never campaigns: it must not hold the Lease/lock a daemon that acts needs. */
  private campaign(): void {
    if (this.dryRun || this.isCampaigning) return;
    this.isCampaigning = true;
    this.deps.leadership.start();
  }

  /** `/readyz`: the leader checks provider, queue and history source; a follower the leader lock. Coalesced. */
  readiness(): Promise<Readiness> {
    return this.ready.check();
  }

  private schedule(delayMs: number): void {
    if (!this.isRunning) return;
    this.timer = this.deps.clock.setTimer(() => {
      this.timer = undefined;
      const started = this.now();
      const startedPerfMs = performance.now();
      this.inFlight = this.tickOnce()
        .then(() => undefined)
        .finally(() => {
          this.inFlight = undefined;
          this.deps.http?.metrics?.observeTick((performance.now() - startedPerfMs) / 1000);
          void this.checkpoints.maybeSave();
          this.firstTickDone();
          const tickMs = this.cfg.tickS * 1000;
          this.schedule(Math.max(0, started + tickMs - this.now()));
        });
    }, delayMs);
  }

  /** Resolves when no tick is running. */
  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** One tick over every model (all in parallel; one model's failure never touches the others). */
  async tickOnce(): Promise<TickResult[]> {
    const leader = this.isCampaigning && this.deps.leadership.isLeader();
    if (leader !== this.lastLeader) {
      const why = this.isCampaigning ? 'another daemon leads' : 'dry run: not campaigning for leadership';
      this.write({
        kind: 'leader',
        time: this.iso(),
        event: leader ? 'leading' : 'standby',
        message: leader
          ? `${this.deps.leadership.identity} acts on decisions`
          : `${this.deps.leadership.identity} decides and logs only (${why})`,
      });
      if (leader && this.lastLeader === false) await this.checkpoints.adoptOnTakeover(this.now());
      this.lastLeader = leader;
    }
    this.jobs.setConsuming(leader);
    const nowMs = this.now();
    const mode = { dryRun: this.dryRun, leader };
    // Models start in chunks, each after one turn of the event loop: with a thousand models the tick's CPU work
    // never holds off the lease renewal, the health endpoints or the queue for the whole tick.
    let gate: Promise<void> = Promise.resolve();
    const settled = await Promise.allSettled(
      [...this.modelLoops.values()].map((l, i) => {
        if (i > 0 && i % TICK_CHUNK === 0)
          gate = gate.then(() => new Promise<void>((resolve) => setImmediate(resolve)));
        return gate.then(() => l.tick(nowMs, l.config.spec.mode === 'advise' ? { ...mode, dryRun: true } : mode));
      }),
    );
    this.ticks++;
    const results: TickResult[] = [];
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') results.push(s.value);
      else {
        const model = [...this.modelLoops.keys()][i];
        this.write({
          kind: 'error',
          time: this.iso(),
          ...(model ? { model } : {}),
          event: 'tick-failed',
          message: 'the tick of this model failed; the next tick tries again',
          error: loggedError('plan', s.reason),
        });
      }
    });
    if (this.cfg.gpuBudgetBytes !== undefined) await this.fleet.plan(results);
    return results;
  }

  /**
   * Swaps in a new, valid config at the next tick boundary: new models start (with backfill), removed ones stop,
   * changed ones restart their planner; unchanged ones keep their state. Changes to the provider, history, queue,
   * decision log or leader election need a restart and are reported (the old ones keep running).
   */
  async reload(next: WarmpoolConfig): Promise<void> {
    await this.idle();
    const p = planReload(this.cfg, next, this.modelLoops);
    const kept = p.kept;
    this.cfg = kept;
    const loops = new Map<string, ModelLoop>();
    const nowMs = this.now();
    const fresh: ModelLoop[] = [];
    for (const { model, loop } of p.models) {
      const l = loop ?? this.makeLoop(model);
      loops.set(model.spec.name, l);
      if (loop) continue;
      fresh.push(l);
      // A changed model's forecaster starts again from the backfill; its bursts, learnt from its ticks, carry over.
      const before = this.modelLoops.get(model.spec.name);
      if (before) l.continueBurstsFrom(before);
    }
    await Promise.all(fresh.map((l) => l.backfill(nowMs, kept.history.backfillS)));
    this.modelLoops = loops;
    if (this.isRunning) this.campaign(); // dryRun turned off: start acting (through the election)
    const { added, changed, removed, restartNeeded } = p;
    this.write({
      kind: 'config',
      time: this.iso(),
      event: 'reloaded',
      message:
        `${next.source}: ${loops.size} model(s); added [${added.join(', ')}], changed [${changed.join(', ')}], removed [${removed.join(', ')}]; tick ${kept.tickS} s${kept.dryRun || this.dryRunFlag ? ', DRY RUN' : ''}` +
        (restartNeeded.length
          ? `; needs a restart to apply: ${restartNeeded.join(', ')} (the running ones are kept)`
          : ''),
      detail: { added, changed, removed, restartNeeded },
    });
  }

  /** A new config was rejected: report every issue, keep running the last good one. */
  rejectConfig(source: string, err: unknown): void {
    const issues = rejectionIssues(err);
    this.write({
      kind: 'config',
      time: this.iso(),
      event: 'rejected',
      message: `${source}: new config rejected (${issues.length} problem${issues.length === 1 ? '' : 's'}); still running the last good config (${this.cfg.source})`,
      issues,
      error: loggedError('config', err),
    });
  }

  /** Graceful stop: no new ticks, the tick in flight finishes, then queue, provider, leadership and log are closed. */
  stop(reason = 'stop'): Promise<void> {
    this.stopping ??= this.shutdown(reason);
    return this.stopping;
  }

  private async shutdown(reason: string): Promise<void> {
    this.isRunning = false;
    this.firstTickDone();
    if (this.timer !== undefined) this.deps.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.idle();
    await this.checkpoints.maybeSave(true);
    this.write({
      kind: 'daemon',
      time: this.iso(),
      event: 'stopping',
      message: `${reason}: closing the queue, the provider and leadership after ${this.ticks} tick(s)`,
    });
    const steps: [string, () => Promise<void>][] = [
      ['queue', () => this.deps.queue.close()],
      ['leadership', async () => (this.isCampaigning ? this.deps.leadership.stop() : undefined)],
      ['provider', () => this.deps.provider.close()],
      ['history', async () => this.deps.history?.close()],
      ['http', async () => this.deps.http?.close()],
      ['keda scaler', async () => this.deps.kedaScaler?.close()],
      ...(this.deps.checkpoint
        ? [['checkpoint', () => this.deps.checkpoint!.close()] as [string, () => Promise<void>]]
        : []),
      ...(this.deps.closers ?? []).map((c, i): [string, () => Promise<void>] => [`closer ${i}`, c]),
    ];
    for (const [what, close] of steps) {
      try {
        await close();
      } catch (err) {
        this.write({
          kind: 'error',
          time: this.iso(),
          event: 'shutdown-failed',
          message: `closing ${what} failed`,
          error: loggedError('shutdown', err),
        });
      }
    }
    this.jobs.stop();
    this.write({ kind: 'daemon', time: this.iso(), event: 'stopped', message: 'bye' });
    await this.deps.log.close();
  }
}
