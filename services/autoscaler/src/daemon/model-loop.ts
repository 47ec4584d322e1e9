import {
  ReasonCode,
  type Decision,
  type Forecaster,
  type HistorySource,
  type ReplicaProvider,
  type ReplicaSetState,
  type ScaleQueue,
  type StepObservation,
} from '@warmpool/domain';
import { ModelPlanner, type PlannerOptions } from '@warmpool/planner';
import { toDecisionRecord } from '../decision-log/decision-record.js';
import type { ModelConfig } from '../config/warmpool-config.js';
import {
  loggedError,
  type Acted,
  type DaemonDecisionRecord,
  type DaemonLogRecord,
  type LoggedError,
} from './daemon-record.js';
import type { DemandFeed, DemandPoll } from './demand-feed.js';
import { BaselinePolicy, type ScalingPolicyName } from './baseline-policy.js';
import { LeadTimeEstimator } from './lead-time-estimator.js';
import { readCheckpointBursts, readCheckpointSteps, StepMemory, type ModelCheckpoint } from './model-checkpoint.js';
import { OutcomeTracker } from './outcome-tracker.js';
import { ReplicaHealer, type ReplicaHealerOptions } from './replica-healer.js';
import { scaleJobId } from './scale-job-id.js';
import { unreadableRecord } from './unreadable-record.js';

/** How often a failed start-up backfill is tried again. */
export const BACKFILL_RETRY_MS = 60_000;

/** What a model loop needs from the daemon around it; all injected so tests drive it. */
export interface ModelLoopContext {
  readonly provider: ReplicaProvider;
  readonly queue: ScaleQueue;
  readonly history: HistorySource | undefined;
  readonly makeForecaster: (quantile: number, stepS: number) => Forecaster;
  readonly planner?: Partial<PlannerOptions>;
  readonly log: (record: DaemonLogRecord) => void;
  /**
   * Emits the cluster-side record of a decision (a Kubernetes Event; the recorder skips plain holds and folds
   * repeats); failures are logged, never fatal.
   */
  readonly recordEvent?: (model: ModelConfig, decision: Decision) => Promise<void>;
  /** Width of the job id's time bucket, seconds. */
  readonly jobBucketS: number;
  /**
   * `predictive` (default): the ModelPlanner decides. `hpa` / `kpa`: the simulator's baseline decides every tick
   * (the planner still runs, so the record keeps its forecast for comparison); the benchmark's switch.
   */
  readonly policy?: ScalingPolicyName;
  /** Baselines only: their periods and windows divided by this (BaselinePolicy). Default 1. */
  readonly baselineTimeScale?: number;
  /** When a replica counts as failed and how its replacement is paced (ReplicaHealer; defaults there). */
  readonly healing?: Partial<ReplicaHealerOptions>;
}

/** How the loop may act this tick. */
export interface TickMode {
  readonly dryRun: boolean;
  readonly leader: boolean;
}

/** What one tick produced, for the fleet planner. */
export interface TickResult {
  readonly record: DaemonDecisionRecord;
  readonly decision: Decision | undefined;
}

/**
 * One model's loop in the daemon: backfill the ModelPlanner (the simulator's planning loop) from history, then every
 * tick read live demand and the provider's state, measure the lead time, plan, act through the queue and log. Any
 * failure (history, demand, provider, queue) ends up in the decision record with the typed error's code; nothing
 * thrown here stops the daemon or the other models.
 */
export class ModelLoop {
  readonly config: ModelConfig;
  private planner: ModelPlanner;
  private readonly tickS: number;
  /** Set while the start-up backfill has failed: it is retried (with a fresh planner) every `BACKFILL_RETRY_MS`. */
  private backfillFailedAtMs: number | undefined;
  private backfillS = 0;
  private readonly lead = new LeadTimeEstimator();
  /** The model's warmth tier from the fleet planner (with gpuBudgetBytes): the lead time is the one measured for it. */
  private warmTier: string | undefined;
  /** The steps the forecaster was fed (bounded), for checkpoints. */
  private readonly stepMemory = new StepMemory();
  private readonly outcomes: OutcomeTracker;
  private readonly notes: string[] = [];
  private lastState: ReplicaSetState | undefined;
  /** Ids of this model's jobs this process saw complete (base id → re-issues so far), bounded. */
  private readonly completedJobs = new Map<string, number>();
  private readonly baseline: BaselinePolicy | undefined;
  private readonly healer: ReplicaHealer;

  constructor(
    config: ModelConfig,
    private readonly ctx: ModelLoopContext,
    private readonly demand: DemandFeed,
    tickS: number,
  ) {
    this.config = config;
    this.tickS = tickS;
    this.planner = this.newPlanner();
    this.outcomes = new OutcomeTracker(config.spec.name, config.spec.capacityPerReplicaPerS);
    this.healer = new ReplicaHealer(ctx.healing);
    const policy = ctx.policy ?? 'predictive';
    this.baseline =
      policy === 'predictive' ? undefined : new BaselinePolicy(policy, config.spec, ctx.baselineTimeScale ?? 1);
  }

  private newPlanner(): ModelPlanner {
    const c = this.config;
    return new ModelPlanner({
      spec: c.spec,
      stepS: c.stepS,
      tickS: this.tickS,
      makeForecaster: this.ctx.makeForecaster,
      ...(this.ctx.planner ? { planner: this.ctx.planner } : {}),
    });
  }

  get name(): string {
    return this.config.spec.name;
  }

  /** Feeds the planner `backfillS` of history ending at the last complete step; gaps and failures become notes. */
  async backfill(nowMs: number, backfillS: number): Promise<void> {
    const stepS = this.config.stepS;
    const endS = Math.floor(nowMs / 1000 / stepS) * stepS;
    this.backfillS = backfillS;
    this.backfillFailedAtMs = undefined;
    this.demand.startAt(endS);
    if (!this.ctx.history || backfillS <= 0) return;
    const fromS = endS - Math.floor(backfillS / stepS) * stepS;
    try {
      const steps = await this.ctx.history.read(this.name, fromS, endS, stepS);
      steps.sort((a, b) => a.startS - b.startS);
      let missing = 0;
      let used = 0;
      for (const s of steps) {
        if (s.startS < fromS || s.startS >= endS) continue;
        if (!Number.isFinite(s.meanPerS)) missing++;
        this.observeStep(s);
        this.baseline?.backfill([s], stepS);
        used++;
      }
      const expected = Math.round((endS - fromS) / stepS);
      missing += Math.max(0, expected - used);
      if (missing > 0)
        this.notes.push(
          `HistoryGaps: ${missing} of ${expected} steps missing in the backfill from ${this.ctx.history.name}`,
        );
      this.ctx.log({
        kind: 'daemon',
        time: new Date(nowMs).toISOString(),
        model: this.name,
        event: 'backfilled',
        message: `${used - Math.min(used, missing)} of ${expected} steps of ${stepS} s from ${this.ctx.history.name}`,
        detail: { steps: used, missing, fromS, toS: endS },
      });
    } catch (err) {
      const e = loggedError('history', err);
      this.backfillFailedAtMs = nowMs;
      this.notes.push(`HistoryUnavailable: ${e.code}: ${e.message}`);
      this.ctx.log({
        kind: 'error',
        time: new Date(nowMs).toISOString(),
        model: this.name,
        event: 'backfill-failed',
        message: `planning without history (reactive until enough live steps): ${e.message}`,
        error: e,
      });
    }
  }

  async tick(nowMs: number, mode: TickMode): Promise<TickResult> {
    if (this.backfillFailedAtMs !== undefined && nowMs - this.backfillFailedAtMs >= BACKFILL_RETRY_MS) {
      // The forecaster takes steps in time order only: a late backfill starts a fresh planner on the whole window.
      // The burst history is learnt from the ticks, not the steps: the fresh planner goes on with it.
      const previous = this.planner;
      this.planner = this.newPlanner();
      this.planner.restoreBurstHistory(previous.burstHistory());
      await this.backfill(nowMs, this.backfillS);
      if (this.backfillFailedAtMs !== undefined) this.planner = previous;
      else this.notes.push('HistoryRecovered: backfilled late; planning restarted on the full history');
    }
    const nowS = nowMs / 1000;
    const notes = this.notes.splice(0);
    const poll = await this.pollDemand(nowS, notes);
    for (const s of poll.steps) this.observeStep(s);

    let state: ReplicaSetState;
    try {
      state = await this.ctx.provider.getState(this.name);
      this.lastState = state;
    } catch (err) {
      const record = unreadableRecord({
        spec: this.config.spec,
        nowMs,
        mode,
        error: loggedError('getState', err),
        notes,
        poll,
        lastDesired: this.lastState?.desired ?? null,
        measuredLeadTimeS: this.lead.estimate(this.warmTier).leadTimeS,
      });
      this.ctx.log(record);
      return { record, decision: undefined };
    }
    this.lead.observe(state, nowMs, this.warmTier);
    const estimate = this.lead.estimate(this.warmTier);
    const ready = state.replicas.filter((r) => r.phase === 'ready').length;
    const spec = this.config.spec;
    const health = this.healer.assess(
      state,
      estimate.leadTimeS ?? spec.leadTime.provisionS + spec.leadTime.loadS + spec.leadTime.warmupS,
      nowMs,
    );
    const failedIds = new Set(health.failed.map((f) => f.id));
    const failed = failedIds.size;
    const coming = state.replicas.filter(
      (r) => !failedIds.has(r.id) && (r.phase === 'provisioning' || r.phase === 'loading' || r.phase === 'warming'),
    ).length;
    // Asked for but not listed yet (a pod not created, an instance not launched) counts as warming; failed ones do not.
    const warming = Math.max(coming, state.desired - ready - failed);
    if (health.heldBack) notes.push(`ReplicaFailed: ${failed} failed, not replaced this tick: ${health.heldBack}`);
    const result = this.planner.tick(nowS, {
      demandPerS: poll.demandPerS,
      peakPerS: poll.peakPerS,
      readyReplicas: ready,
      warmingReplicas: Math.max(0, warming),
      ...(estimate.leadTimeS !== undefined ? { measuredLeadTimeS: estimate.leadTimeS } : {}),
    });
    const base = this.baseline?.decide(
      poll.seconds ?? poll.steps.flatMap((s) => new Array<number>(this.config.stepS).fill(s.meanPerS)),
      ready,
      Math.max(0, warming),
    );
    const planned = result.decision;
    const d: Decision = base
      ? {
          ...planned,
          from: state.desired,
          to: base.to,
          action: base.to > state.desired ? 'scale-up' : base.to < state.desired ? 'scale-down' : 'hold',
          reasons: [],
          message: base.message,
        }
      : planned;
    const replace = health.replace;
    const healing = replace.length > 0;
    const plannedReasons = base ? [base.reason] : d.reasons;
    const reasons: readonly string[] =
      healing || failed > 0 ? [...plannedReasons, ReasonCode.ReplicaFailed] : plannedReasons;
    const message = healing
      ? `${d.message}; replacing ${replace.length} failed replica(s): ${replace.map((r) => `${r.id} (${r.reason})`).join(', ')}`
      : d.message;
    const id = `${this.name}@${nowMs}`;
    let acted: Acted = 'none';
    let jobId: string | undefined;
    let error: LoggedError | undefined;
    if (d.to !== state.desired || healing) {
      if (mode.dryRun) acted = 'dry-run';
      else if (!mode.leader) acted = 'standby';
      else {
        const baseId = scaleJobId(this.name, state.desired, d.to, nowMs, this.ctx.jobBucketS);
        // This process saw the job with this id complete, yet the provider is not at its target: the size moved
        // again within the bucket (a flap, or someone else). A new job for the new situation, not a duplicate.
        // A replacement is its own job: the replicas it ends are in its id.
        const reissue = this.completedJobs.get(baseId);
        jobId = healing
          ? `replace:${this.name}:${replace
              .map((r) => r.id)
              .join(',')
              .slice(0, 200)}:${nowMs}`
          : reissue === undefined
            ? baseId
            : `${baseId}.${reissue}`;
        try {
          const r = await this.ctx.queue.enqueue({
            id: jobId,
            runAtMs: nowMs,
            request: {
              model: this.name,
              replicas: d.to,
              idempotencyKey: jobId,
              reason: healing && d.to === state.desired ? ReasonCode.ReplicaFailed : (reasons[0] ?? ReasonCode.Steady),
              message,
              ...(healing ? { replace } : {}),
            },
          });
          acted = r.deduplicated ? 'deduplicated' : 'enqueued';
          if (healing) this.healer.replaced(replace, nowMs);
        } catch (err) {
          acted = 'error';
          error = loggedError('enqueue', err);
        }
      }
    }
    if (acted === 'enqueued' && d.to > state.desired) {
      for (const o of this.outcomes.scaleUp(id, nowMs, state.desired, d.to, d.leadTimeS)) this.ctx.log(o);
    }
    const record: DaemonDecisionRecord = {
      ...toDecisionRecord(d, (s) => new Date(s * 1000), this.config.spec),
      reasons,
      message,
      kind: 'decision',
      id,
      acted,
      ...(jobId ? { jobId } : {}),
      desired: state.desired,
      ready,
      warming,
      ...(failed > 0 ? { failed } : {}),
      ...(healing ? { replaced: replace } : {}),
      measuredLeadTimeS: estimate.leadTimeS ?? null,
      ...(estimate.stagesS ? { leadTimeStagesS: estimate.stagesS } : {}),
      leader: mode.leader,
      dryRun: mode.dryRun,
      ...(notes.length ? { notes } : {}),
      ...(error ? { error } : {}),
    };
    this.ctx.log(record);
    if (mode.leader && !mode.dryRun && this.ctx.recordEvent) {
      // A replacement that keeps the size is not a scale on the workload (the provider records ReplicaFailed on the pod).
      const eventDecision: Decision =
        healing && d.to === state.desired ? { ...d, action: 'hold', from: state.desired, to: state.desired } : d;
      await this.ctx.recordEvent(this.config, eventDecision).catch((err: unknown) => {
        this.ctx.log({
          kind: 'error',
          time: record.time,
          model: this.name,
          event: 'event-failed',
          message: `could not record the Kubernetes Event for ${id}`,
          error: loggedError('event', err),
        });
      });
    }
    for (const o of this.outcomes.observe(nowMs, ready, poll.peakPerS)) this.ctx.log(o);
    return { record, decision: d };
  }

  private observeStep(s: StepObservation): void {
    this.planner.observeStep(s);
    this.stepMemory.add(s);
  }

  /**
   * What a restarted or new leader needs to keep forecasting: the steps fed so far, the lead times measured and the
   * burst history (the steps after `stepsAfterS` only: the store holds the earlier ones).
   */
  checkpoint(stepsAfterS = Number.NEGATIVE_INFINITY): ModelCheckpoint {
    return {
      steps: this.stepMemory.listAfter(stepsAfterS),
      leadTimeSamples: this.lead.snapshot(),
      bursts: this.planner.burstHistory(),
    };
  }

  /**
   * Takes a checkpoint after `backfill`: the lead-time samples, and the checkpointed steps newer than what the
   * backfill fed and older than the live feed's start (steps with a history source are usually all backfilled).
   * Returns what was taken.
   */
  restore(
    cp: { readonly steps?: unknown; readonly leadTimeSamples?: unknown; readonly bursts?: unknown },
    nowMs: number,
  ): { steps: number; leadTimeSamples: number; bursts: number } {
    const endS = Math.floor(nowMs / 1000 / this.config.stepS) * this.config.stepS;
    const after = this.stepMemory.lastStartS ?? -Infinity;
    let steps = 0;
    for (const s of readCheckpointSteps(cp.steps)) {
      if (s.startS <= after || s.startS >= endS) continue;
      this.observeStep(s);
      this.baseline?.backfill([s], this.config.stepS);
      steps++;
    }
    const leadTimeSamples = Array.isArray(cp.leadTimeSamples) ? this.lead.restore(cp.leadTimeSamples) : 0;
    const bursts = readCheckpointBursts(this.name, cp.bursts, nowMs, this.ctx.log);
    if (bursts) this.planner.restoreBurstHistory(bursts);
    return { steps, leadTimeSamples, bursts: bursts?.peaksPerS.length ?? 0 };
  }

  /**
   * A reload changed this model's config, so its loop starts afresh: it goes on with the old loop's burst history
   * (peaks in requests/s, lengths and gaps in seconds: they hold across a changed spec).
   */
  continueBurstsFrom(previous: ModelLoop): void {
    this.planner.restoreBurstHistory(previous.planner.burstHistory());
  }

  /**
   * On a takeover: the burst history the last leader checkpointed replaces this loop's when it remembers more
   * completed bursts (this daemon started after the last leader, or read no checkpoint then); else this loop, which
   * watched the same demand as a follower, keeps its own. Returns the bursts taken (0: kept its own).
   */
  adoptBursts(raw: unknown, nowMs: number): number {
    const theirs = readCheckpointBursts(this.name, raw, nowMs, this.ctx.log);
    if (!theirs || theirs.peaksPerS.length <= this.planner.burstHistory().peaksPerS.length) return 0;
    this.planner.restoreBurstHistory(theirs);
    return theirs.peaksPerS.length;
  }

  /** The fleet planner's tier for this model (the daemon sets it after each fleet plan); the next ticks plan with the lead time measured for it. */
  setWarmTier(tier: string): void {
    this.warmTier = tier;
  }

  /** The queue finished one of this model's jobs (the daemon forwards `completed` events). */
  jobCompleted(jobId: string): void {
    const m = /^(scale:.*:\d+)(?:\.(\d+))?$/.exec(jobId);
    if (!m) return;
    const base = m[1]!;
    const n = m[2] === undefined ? 1 : Number(m[2]) + 1;
    this.completedJobs.set(base, Math.max(n, this.completedJobs.get(base) ?? 0));
    if (this.completedJobs.size > 256) this.completedJobs.delete(this.completedJobs.keys().next().value!);
  }

  private async pollDemand(nowS: number, notes: string[]): Promise<DemandPoll> {
    try {
      const poll = await this.demand.poll(nowS);
      if (poll.note) notes.push(poll.note);
      return poll;
    } catch (err) {
      const e = loggedError('demand', err);
      notes.push(`DemandUnavailable: ${e.code}: ${e.message}`);
      return { steps: [], demandPerS: Number.NaN, peakPerS: Number.NaN };
    }
  }
}
