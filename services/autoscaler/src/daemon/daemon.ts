import type { Decision, Forecaster, HistorySource, ReplicaProvider, ScaleJob, ScaleQueue } from '@warmpool/domain';
import { planFleet, type PlannerOptions } from '@warmpool/planner';
import {
  JobDeferredError,
  type ObservableScaleQueue,
  type ScaleJobEvent,
  type TimerClock,
  type TimerHandle,
} from '@warmpool/queue';
import type { CheckpointStore, DaemonCheckpoint } from './checkpoint-store.js';
import type { ModelCheckpoint } from './model-checkpoint.js';
import type { ModelConfig, WarmpoolConfig } from '../config/warmpool-config.js';
import { loggedError, type DaemonLogRecord } from './daemon-record.js';
import { WarmTierActor } from './warm-tier-actor.js';
import type { DecisionLog } from './decision-log.js';
import type { DemandFeed } from './demand-feed.js';
import type { Leadership } from './leadership.js';
import type { ScalingPolicyName } from './baseline-policy.js';
import { ModelLoop, type TickResult } from './model-loop.js';

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

/** A checkpoint older than this is not restored (the measured lead time and the demand have moved on). */
const CHECKPOINT_MAX_AGE_MS = 24 * 3_600_000;

/** Models whose tick starts in one turn of the event loop. */
const TICK_CHUNK = 25;

/** Longest wait of one readiness check. */
const READINESS_TIMEOUT_MS = 2000;

interface PausableQueue {
  process(handler: (job: ScaleJob) => Promise<void>, options: { readonly paused?: boolean }): void;
  pause(): Promise<void>;
  resume(): void;
}

function isPausable(q: ScaleQueue): q is ScaleQueue & PausableQueue {
  const p = q as Partial<PausableQueue>;
  return typeof p.pause === 'function' && typeof p.resume === 'function';
}

function pingOf(q: ScaleQueue): (() => Promise<void>) | undefined {
  const p = (q as { ping?: () => Promise<void> }).ping;
  return typeof p === 'function' ? () => p.call(q) : undefined;
}

async function within<T>(
  what: string,
  work: () => Promise<T>,
  timeoutMs: number,
): Promise<{ ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

export interface DaemonOptions {
  /** `--dry-run`: decide and log, never act (wins over the config's `dryRun: false`). */
  readonly dryRun?: boolean;
}

function isObservable(q: ScaleQueue): q is ObservableScaleQueue {
  return typeof (q as Partial<ObservableScaleQueue>).subscribe === 'function';
}

/**
 * The cluster daemon: one ModelLoop per configured model, ticked together every `tickS` on the injected clock.
 * Scale jobs go through the queue, whose handler calls `provider.scale` with the job id as idempotency key. Only the
 * leader acts; the others decide in dry-run and log `standby`. `reload` swaps in a new config between ticks;
 * `stop` finishes the tick in flight, then closes the queue, the provider, and gives up leadership.
 */
export class Daemon {
  private config: WarmpoolConfig;
  private loops = new Map<string, ModelLoop>();
  private timer: TimerHandle | undefined;
  private inFlight: Promise<void> | undefined;
  private running = false;
  private stopping: Promise<void> | undefined;
  private unsubscribe: (() => void) | undefined;
  private wasLeader: boolean | undefined;
  private campaigning = false;
  /** Applies and names the fleet planner's tier changes (created on the first fleet plan). */
  private tierActor: WarmTierActor | undefined;
  /** Whether the queue worker takes jobs (only while this daemon leads). */
  private consuming = false;
  private checkpointSaving: Promise<void> | undefined;
  private lastCheckpointMs = 0;
  private readinessPending: Promise<Readiness> | undefined;
  /** Jobs runJob skipped as stale: their `completed` event is not a scale. */
  private readonly skippedJobs = new Set<string>();
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
    private readonly deps: DaemonDeps,
    options: DaemonOptions = {},
  ) {
    this.config = config;
    this.dryRunFlag = options.dryRun ?? false;
    for (const m of config.models) this.loops.set(m.spec.name, this.makeLoop(m));
    deps.http?.setReadiness?.(() => this.readiness());
  }

  get dryRun(): boolean {
    return this.dryRunFlag || this.config.dryRun;
  }

  /** `http://host:port` of the daemon's HTTP server once it listens; undefined without one. */
  get httpUrl(): string | undefined {
    return this.deps.http?.url;
  }

  get currentConfig(): WarmpoolConfig {
    return this.config;
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private write(record: DaemonLogRecord): void {
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
        jobBucketS: Math.max(60, this.config.tickS * 2),
        ...(this.deps.policy ? { policy: this.deps.policy } : {}),
        ...(this.deps.baselineTimeScale ? { baselineTimeScale: this.deps.baselineTimeScale } : {}),
      },
      this.deps.demandFeed(m, this.config.tickS),
      this.config.tickS,
    );
  }

  /** Backfills every model, starts the queue worker and the election, and schedules the ticks. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const nowMs = this.now();
    this.write({
      kind: 'daemon',
      time: this.iso(),
      event: 'started',
      message: `${this.loops.size} model(s), provider ${this.deps.provider.name}, tick ${this.config.tickS} s, leader election ${this.deps.leadership.kind} as ${this.deps.leadership.identity}${this.dryRun ? ', DRY RUN' : ''}`,
    });
    await this.listenHttp();
    await this.listenKedaScaler();
    await Promise.all([...this.loops.values()].map((l) => l.backfill(nowMs, this.config.history.backfillS)));
    await this.restoreCheckpoint(nowMs);
    if (isObservable(this.deps.queue)) this.unsubscribe = this.deps.queue.subscribe((e) => this.onJobEvent(e));
    // The worker starts paused: it takes scale jobs only while this daemon leads (see setConsuming).
    if (isPausable(this.deps.queue)) this.deps.queue.process((job) => this.runJob(job), { paused: true });
    else this.deps.queue.process((job) => this.runJob(job));
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
    if (this.dryRun || this.campaigning) return;
    this.campaigning = true;
    this.deps.leadership.start();
  }

  /** A job record for a job this daemon hands back or drops without applying it (no attempt used). */
  private writeUnappliedJob(job: ScaleJob, event: 'deferred' | 'skipped', message: string): void {
    this.write({
      kind: 'job',
      time: this.iso(),
      model: job.request.model,
      jobId: job.id,
      event,
      replicas: job.request.replicas,
      attempt: null,
      message,
    });
  }

  /**
   * The queue's handler: the scale itself (the provider applies each idempotency key once). A job that comes
   * due long after it was decided (recovered after a crash, held up by a Redis outage) is not applied: the world
   * has moved on and the current tick decides afresh.
   */
  private async runJob(job: ScaleJob): Promise<void> {
    const retryMs = Math.max(500, this.config.tickS * 1000);
    if (!(this.campaigning && this.deps.leadership.isLeader())) {
      // A follower's (or dry run's) worker never applies a job: back to the queue for the leader's worker.
      this.writeUnappliedJob(
        job,
        'deferred',
        `${this.deps.leadership.identity} does not lead: left to the leader (due again in ${retryMs} ms)`,
      );
      throw new JobDeferredError(`${this.deps.leadership.identity} does not lead`, retryMs);
    }
    const lateMs = this.now() - job.runAtMs;
    const staleMs = Math.max(120_000, this.config.tickS * 10_000);
    if (lateMs > staleMs) {
      this.skippedJobs.add(job.id);
      this.writeUnappliedJob(
        job,
        'skipped',
        `not applied: due ${Math.round(lateMs / 1000)} s ago (stale after ${staleMs / 1000} s); the next tick decides afresh`,
      );
      return;
    }
    try {
      // The fencing check where the provider acts: this daemon's term must still be the current one.
      await this.deps.leadership.fence?.();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'E_FENCED_OFF') throw err;
      this.writeUnappliedJob(job, 'deferred', `fenced off, not applied: ${(err as Error).message}`);
      throw new JobDeferredError((err as Error).message, retryMs, { cause: err });
    }
    await this.deps.provider.scale(job.request);
  }

  /** The queue worker takes jobs only while this daemon leads. */
  private setConsuming(leader: boolean): void {
    const q = this.deps.queue;
    if (!isPausable(q) || leader === this.consuming || !this.running) return;
    this.consuming = leader;
    if (leader) q.resume();
    else
      void q.pause().catch((err: unknown) =>
        this.write({
          kind: 'error',
          time: this.iso(),
          event: 'queue-error',
          message: 'could not pause the queue worker',
          error: loggedError('queue', err),
        }),
      );
  }

  /** `/readyz`: the leader checks provider, queue and history source; a follower the leader lock. Coalesced. */
  readiness(): Promise<Readiness> {
    this.readinessPending ??= this.checkReadiness().finally(() => (this.readinessPending = undefined));
    return this.readinessPending;
  }

  private async checkReadiness(): Promise<Readiness> {
    if (!this.running) return { ready: false, role: 'stopped', checks: {} };
    const t = READINESS_TIMEOUT_MS;
    if (!this.campaigning) return { ready: true, role: 'dry-run', checks: {} };
    const leadership = this.deps.leadership;
    if (!leadership.isLeader()) {
      const lock = leadership.ping ? await within('leader election', () => leadership.ping!(), t) : { ok: true };
      return { ready: lock.ok, role: 'follower', checks: { leaderElection: lock } };
    }
    const first = [...this.loops.values()][0];
    const ping = pingOf(this.deps.queue);
    const history = this.deps.history;
    const [provider, queue, hist] = await Promise.all([
      first ? within('provider', () => this.deps.provider.getState(first.name), t) : Promise.resolve({ ok: true }),
      ping ? within('queue', ping, t) : Promise.resolve({ ok: true }),
      history && first
        ? within(
            'history',
            () => {
              const stepS = first.config.stepS;
              const endS = Math.floor(this.now() / 1000 / stepS) * stepS;
              return history.read(first.name, endS - stepS, endS, stepS);
            },
            t,
          )
        : Promise.resolve({ ok: true }),
    ]);
    const checks = { provider, queue, ...(history ? { history: hist } : {}) };
    return { ready: Object.values(checks).every((c) => c.ok), role: 'leader', checks };
  }

  private async restoreCheckpoint(nowMs: number): Promise<void> {
    const store = this.deps.checkpoint;
    if (!store) return;
    let cp: DaemonCheckpoint | undefined;
    try {
      cp = await store.load();
    } catch (err) {
      this.write({
        kind: 'error',
        time: this.iso(),
        event: 'checkpoint-failed',
        message: `could not read the checkpoint (${store.name}); starting from the history alone`,
        error: loggedError('checkpoint', err),
      });
      return;
    }
    if (!cp) return;
    const ageMs = nowMs - cp.savedAtMs;
    if (ageMs < -60_000 || ageMs > CHECKPOINT_MAX_AGE_MS) {
      this.write({
        kind: 'daemon',
        time: this.iso(),
        event: 'checkpoint-ignored',
        message: `checkpoint of ${new Date(cp.savedAtMs).toISOString()} from ${store.name} not restored: ${ageMs < 0 ? "saved after this daemon's clock says it is now" : `older than ${CHECKPOINT_MAX_AGE_MS / 3_600_000} h`}`,
      });
      return;
    }
    let steps = 0;
    let samples = 0;
    let models = 0;
    for (const [name, loop] of this.loops) {
      const m = cp.models[name];
      if (!m || typeof m !== 'object') continue;
      const r = loop.restore(m, nowMs);
      steps += r.steps;
      samples += r.leadTimeSamples;
      models++;
    }
    this.write({
      kind: 'daemon',
      time: this.iso(),
      event: 'restored',
      message: `checkpoint of ${new Date(cp.savedAtMs).toISOString()} by ${cp.identity} from ${store.name}: ${models} model(s), ${steps} step(s), ${samples} lead-time sample(s)`,
      detail: { models, steps, leadTimeSamples: samples, savedAtMs: cp.savedAtMs },
    });
  }

  /** The leader writes a checkpoint every `checkpointEveryMs` (one at a time; a slow store never holds a tick up). */
  private maybeCheckpoint(force = false): Promise<void> {
    const store = this.deps.checkpoint;
    if (!store || this.checkpointSaving || !this.wasLeader || this.dryRun)
      return this.checkpointSaving ?? Promise.resolve();
    const everyMs = this.deps.checkpointEveryMs ?? Math.max(10_000, this.config.tickS * 1000);
    if (!force && this.now() - this.lastCheckpointMs < everyMs) return Promise.resolve();
    this.lastCheckpointMs = this.now();
    const models: Record<string, ModelCheckpoint> = {};
    for (const [name, loop] of this.loops) models[name] = loop.checkpoint();
    const cp: DaemonCheckpoint = {
      v: 1,
      savedAtMs: this.now(),
      identity: this.deps.leadership.identity,
      fencingToken: this.deps.leadership.fencingToken ?? null,
      models,
    };
    this.checkpointSaving = store
      .save(cp)
      .catch((err: unknown) =>
        this.write({
          kind: 'error',
          time: this.iso(),
          event: 'checkpoint-failed',
          message: `could not write the checkpoint (${store.name}); the next one tries again`,
          error: loggedError('checkpoint', err),
        }),
      )
      .finally(() => (this.checkpointSaving = undefined));
    return this.checkpointSaving;
  }

  private onJobEvent(e: ScaleJobEvent): void {
    if (e.type === 'error') {
      this.write({
        kind: 'error',
        time: this.iso(),
        event: 'queue-error',
        message: e.error.message,
        error: loggedError('queue', e.error),
      });
      return;
    }
    const job = 'job' in e ? e.job : undefined;
    const jobId = job?.id ?? ('jobId' in e ? e.jobId : 'unknown');
    const base = {
      kind: 'job' as const,
      time: this.iso(),
      model: job?.request.model ?? null,
      jobId,
      replicas: job?.request.replicas ?? null,
      attempt: 'attempt' in e ? e.attempt : null,
    };
    if (e.type === 'completed') {
      if (job && this.skippedJobs.delete(job.id)) return;
      if (job) this.loops.get(job.request.model)?.jobCompleted(job.id);
      this.write({ ...base, event: 'completed', message: `scaled to ${job?.request.replicas}` });
    } else if (e.type === 'retrying')
      this.write({
        ...base,
        event: 'retrying',
        error: loggedError('scale', e.error),
        message: `attempt ${e.attempt} failed, retrying in ${e.retryInMs} ms`,
      });
    else if (e.type === 'failed')
      this.write({
        ...base,
        event: 'failed',
        error: loggedError('scale', e.error),
        message: `given up after ${e.attempt} attempt(s)`,
      });
    else this.write({ ...base, event: 'stalled', message: 'the worker running it was lost; it runs again' });
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = this.deps.clock.setTimer(() => {
      this.timer = undefined;
      const started = this.now();
      const startedPerfMs = performance.now();
      this.inFlight = this.tickOnce()
        .then(() => undefined)
        .finally(() => {
          this.inFlight = undefined;
          this.deps.http?.metrics?.observeTick((performance.now() - startedPerfMs) / 1000);
          void this.maybeCheckpoint();
          this.firstTickDone();
          const tickMs = this.config.tickS * 1000;
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
    const leader = this.campaigning && this.deps.leadership.isLeader();
    if (leader !== this.wasLeader) {
      const why = this.campaigning ? 'another daemon leads' : 'dry run: not campaigning for leadership';
      this.write({
        kind: 'leader',
        time: this.iso(),
        event: leader ? 'leading' : 'standby',
        message: leader
          ? `${this.deps.leadership.identity} acts on decisions`
          : `${this.deps.leadership.identity} decides and logs only (${why})`,
      });
      this.wasLeader = leader;
    }
    this.setConsuming(leader);
    const nowMs = this.now();
    const mode = { dryRun: this.dryRun, leader };
    // Models start in chunks, each after one turn of the event loop: with a thousand models the tick's CPU work
    // never holds off the lease renewal, the health endpoints or the queue for the whole tick.
    let gate: Promise<void> = Promise.resolve();
    const settled = await Promise.allSettled(
      [...this.loops.values()].map((l, i) => {
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
        const model = [...this.loops.keys()][i];
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
    if (this.config.gpuBudgetBytes !== undefined) await this.planFleet(results);
    return results;
  }

  private async planFleet(results: readonly TickResult[]): Promise<void> {
    const models = results.flatMap((r) => {
      const loop = this.loops.get(r.record.model);
      if (!loop || !r.decision) return [];
      return [
        {
          spec: loop.config.spec,
          plannedReplicas: r.decision.to,
          expectedDemandPerS: Number.isFinite(r.decision.forecastP50PerS)
            ? r.decision.forecastP50PerS
            : Math.max(0, r.decision.observedPerS || 0),
        },
      ];
    });
    if (models.length === 0) return;
    const fleet = planFleet(models, { gpuBudgetBytes: this.config.gpuBudgetBytes! });
    this.write({
      kind: 'fleet',
      time: this.iso(),
      event: 'warm-tiers',
      message: fleet.tiers.map((t) => t.message).join('; '),
      detail: {
        gpuBytesUsed: fleet.gpuBytesUsed,
        gpuBudgetBytes: this.config.gpuBudgetBytes,
        tiers: fleet.tiers.map((t) => ({
          model: t.model,
          tier: t.tier,
          gpuReplicas: t.gpuReplicas,
          mode: t.mode,
          reasons: t.reasons,
        })),
      },
    });
    // Warmth tiers that act: the leader applies each tier change where the provider can (AWS: the warm pool state).
    this.tierActor ??= new WarmTierActor(
      this.deps.provider,
      (r) => this.write(r),
      () => this.iso(),
    );
    const advise = new Set(this.config.models.filter((m) => m.spec.mode === 'advise').map((m) => m.spec.name));
    await this.tierActor.apply(fleet.tiers, {
      acting: !this.dryRun && this.campaigning && this.deps.leadership.isLeader(),
      advise,
    });
    // The next ticks plan each model with the lead time measured for its tier.
    for (const t of fleet.tiers) this.loops.get(t.model)?.setWarmTier(t.tier);
  }

  /**
   * Swaps in a new, valid config at the next tick boundary: new models start (with backfill), removed ones stop,
   * changed ones restart their planner; unchanged ones keep their state. Changes to the provider, history, queue,
   * decision log or leader election need a restart and are reported (the old ones keep running).
   */
  async reload(next: WarmpoolConfig): Promise<void> {
    await this.idle();
    const old = this.config;
    const restartNeeded = (['provider', 'history', 'queue', 'decisionLog', 'leaderElection', 'http'] as const).filter(
      (k) => JSON.stringify(old[k]) !== JSON.stringify(next[k]),
    );
    const targetChanged = next.models.some((m) => {
      const o = old.models.find((x) => x.spec.name === m.spec.name);
      return !o || JSON.stringify(o.target) !== JSON.stringify(m.target);
    });
    if (targetChanged) restartNeeded.push('provider' as never);
    const kept =
      restartNeeded.length > 0
        ? {
            ...next,
            provider: old.provider,
            history: old.history,
            queue: old.queue,
            decisionLog: old.decisionLog,
            leaderElection: old.leaderElection,
            http: old.http,
          }
        : next;
    const before = new Map(old.models.map((m) => [m.spec.name, JSON.stringify(m)]));
    const added: string[] = [];
    const changed: string[] = [];
    const removed = old.models
      .filter((m) => !next.models.some((n) => n.spec.name === m.spec.name))
      .map((m) => m.spec.name);
    this.config = kept;
    const loops = new Map<string, ModelLoop>();
    const nowMs = this.now();
    const fresh: ModelLoop[] = [];
    for (const m of next.models) {
      const prev = before.get(m.spec.name);
      const loop = this.loops.get(m.spec.name);
      if (prev === JSON.stringify(m) && loop && old.tickS === next.tickS) {
        loops.set(m.spec.name, loop);
        continue;
      }
      (prev === undefined ? added : changed).push(m.spec.name);
      const l = this.makeLoop(m);
      loops.set(m.spec.name, l);
      fresh.push(l);
    }
    await Promise.all(fresh.map((l) => l.backfill(nowMs, kept.history.backfillS)));
    this.loops = loops;
    if (this.running) this.campaign(); // dryRun turned off: start acting (through the election)
    this.write({
      kind: 'config',
      time: this.iso(),
      event: 'reloaded',
      message:
        `${next.source}: ${loops.size} model(s); added [${added.join(', ')}], changed [${changed.join(', ')}], removed [${removed.join(', ')}]; tick ${kept.tickS} s${kept.dryRun || this.dryRunFlag ? ', DRY RUN' : ''}` +
        (restartNeeded.length
          ? `; needs a restart to apply: ${[...new Set(restartNeeded)].join(', ')} (the running ones are kept)`
          : ''),
      detail: { added, changed, removed, restartNeeded: [...new Set(restartNeeded)] },
    });
  }

  /** A new config was rejected: report every issue, keep running the last good one. */
  rejectConfig(source: string, err: unknown): void {
    const issues =
      err && typeof err === 'object' && 'issues' in err && Array.isArray((err as { issues: unknown }).issues)
        ? (err as { issues: { path: string; value: unknown; allowed: string }[] }).issues.map(
            (i) => `${i.path}: got ${JSON.stringify(i.value) ?? 'missing'}, allowed: ${i.allowed}`,
          )
        : err && typeof err === 'object' && 'problems' in err && Array.isArray((err as { problems: unknown }).problems)
          ? (err as { problems: string[] }).problems
          : [err instanceof Error ? err.message : String(err)];
    this.write({
      kind: 'config',
      time: this.iso(),
      event: 'rejected',
      message: `${source}: new config rejected (${issues.length} problem${issues.length === 1 ? '' : 's'}); still running the last good config (${this.config.source})`,
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
    this.running = false;
    this.firstTickDone();
    if (this.timer !== undefined) this.deps.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.idle();
    await this.maybeCheckpoint(true);
    this.write({
      kind: 'daemon',
      time: this.iso(),
      event: 'stopping',
      message: `${reason}: closing the queue, the provider and leadership after ${this.ticks} tick(s)`,
    });
    const steps: [string, () => Promise<void>][] = [
      ['queue', () => this.deps.queue.close()],
      ['leadership', async () => (this.campaigning ? this.deps.leadership.stop() : undefined)],
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
    this.unsubscribe?.();
    this.write({ kind: 'daemon', time: this.iso(), event: 'stopped', message: 'bye' });
    await this.deps.log.close();
  }
}
