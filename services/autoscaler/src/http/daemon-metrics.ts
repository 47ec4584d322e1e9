import { createMetricsRegistry } from '@warmpool/telemetry';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RecordSink } from '../daemon/decision-log.js';
import type { DaemonLogRecord, LoggedError } from '../daemon/daemon-record.js';

/** Tick duration buckets in seconds: 1 ms .. 30 s (a thousand models' tick, or a slow provider, shows at the top). */
const TICK_BUCKETS_S = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Distinct error codes kept as their own label value; later new codes are counted as `other`. */
const MAX_ERROR_CODES = 64;

/** A decision's note when the live demand (history source or load balancer) could not be read: its error code. */
const DEMAND_NOTE = /^DemandUnavailable: ([^:\s]+):/;

/** What an error stage is an error of (the `kind` label of warmpool_errors_total). */
export function errorKind(stage: LoggedError['stage']): string {
  switch (stage) {
    case 'getState':
    case 'scale':
    case 'event':
      return 'provider';
    case 'enqueue':
    case 'queue':
      return 'queue';
    case 'history':
    case 'demand':
      return 'history';
    default:
      return stage;
  }
}

/**
 * The daemon's metrics in one prom-client registry, with prom-client's default process and Node.js metrics. A
 * decision-log sink: every record the daemon writes updates them (one decision record per model per tick carries
 * the replicas, the forecast, the demand and the lead time), so `/metrics` tells what the log tells. Label sets are
 * bounded: `model` by the config, `action`/`acted`/`reason`/`outcome`/`event` by their enums, `stage` by the lead
 * time estimator's stages, `code` by MAX_ERROR_CODES.
 */
export class DaemonMetrics implements RecordSink {
  readonly name = 'metrics';
  readonly registry: Registry;
  private readonly decisions: Counter<'model' | 'action' | 'acted'>;
  private readonly reasons: Counter<'model' | 'reason'>;
  private readonly desired: Gauge<'model'>;
  private readonly ready: Gauge<'model'>;
  private readonly warming: Gauge<'model'>;
  private readonly failed: Gauge<'model'>;
  private readonly providerDesired: Gauge<'model'>;
  private readonly observed: Gauge<'model'>;
  private readonly forecastP50: Gauge<'model'>;
  private readonly forecastUpper: Gauge<'model'>;
  private readonly capacity: Gauge<'model'>;
  private readonly slaLatency: Gauge<'model'>;
  private readonly leadTime: Gauge<'model'>;
  private readonly leadTimeStage: Gauge<'model' | 'stage'>;
  private readonly measuredLeadTime: Gauge<'model'>;
  private readonly outcomes: Counter<'model' | 'outcome'>;
  private readonly jobs: Counter<'event'>;
  private readonly errors: Counter<'kind' | 'code'>;
  private readonly leader: Gauge;
  private readonly tick: Histogram;
  private readonly codes = new Set<string>();
  /** Every per-model gauge, so a model removed from the config drops its series. */
  private readonly perModelGauges: Gauge<'model'>[] = [];
  /**
   * Per model, the other label values its series carry (decisions' action and acted, reasons, outcomes, lead-time
   * stages), so a model removed from the config drops every series it has, counters included.
   */
  private readonly perModelSeries = new Map<string, ModelSeries>();

  constructor(opts: { readonly defaultMetrics?: boolean } = {}) {
    this.registry = opts.defaultMetrics === false ? new Registry() : createMetricsRegistry();
    const registers = [this.registry];
    const perModel = (name: string, help: string): Gauge<'model'> => {
      const g = new Gauge({ name, help, labelNames: ['model'], registers });
      this.perModelGauges.push(g);
      return g;
    };
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> =>
      new Counter({ name, help, labelNames, registers });
    this.decisions = counter(
      'warmpool_decisions_total',
      'Decisions made, by model, action and what was done with them.',
      ['model', 'action', 'acted'],
    );
    this.reasons = counter(
      'warmpool_decision_reasons_total',
      'Reasons given by decisions (a decision counts once per reason it gives).',
      ['model', 'reason'],
    );
    this.desired = perModel('warmpool_replicas_desired', 'Replicas the last decision wants (its target).');
    this.providerDesired = perModel(
      'warmpool_provider_replicas_desired',
      'Replicas the provider was asked for before the last decision, as it reported.',
    );
    this.ready = perModel(
      'warmpool_replicas_ready',
      'Replicas ready (serving), as the provider reported at the last tick.',
    );
    this.warming = perModel(
      'warmpool_replicas_warming',
      'Replicas requested and not ready yet (starting, loading, warming up).',
    );
    this.failed = perModel(
      'warmpool_replicas_failed',
      'Replicas counted as failed (warm-up failed, died, or unready past lead time and margin).',
    );
    this.observed = perModel('warmpool_demand_observed_requests_per_second', 'Demand observed at the last tick.');
    this.forecastP50 = perModel(
      'warmpool_forecast_p50_requests_per_second',
      'Forecast median demand over the planned window (now + lead time).',
    );
    this.forecastUpper = perModel(
      'warmpool_forecast_upper_requests_per_second',
      'Forecast upper band of demand over the planned window (the quantile planned with).',
    );
    this.capacity = perModel(
      'warmpool_capacity_ready_requests_per_second',
      'Ready replicas times the SLA capacity per replica.',
    );
    this.slaLatency = perModel('warmpool_sla_latency_target_p95_seconds', 'The SLA target of request latency p95.');
    this.leadTime = perModel(
      'warmpool_lead_time_planned_seconds',
      'Lead time the planner planned with at the last tick.',
    );
    this.measuredLeadTime = perModel(
      'warmpool_lead_time_measured_seconds',
      'Robust (p90) request-to-ready time measured from replicas coming up.',
    );
    this.leadTimeStage = new Gauge({
      name: 'warmpool_lead_time_stage_seconds',
      help: 'Median seconds per lead-time stage of the measured replicas.',
      labelNames: ['model', 'stage'],
      registers,
    });
    this.outcomes = counter(
      'warmpool_scale_up_outcomes_total',
      'Outcomes of scale-ups once their replicas were ready (or never were).',
      ['model', 'outcome'],
    );
    this.jobs = counter('warmpool_scale_jobs_total', 'Scale job events in the queue.', ['event']);
    this.errors = counter(
      'warmpool_errors_total',
      'Errors by kind (provider, queue, history, leader, config, checkpoint, ...) and code.',
      ['kind', 'code'],
    );
    this.leader = new Gauge({
      name: 'warmpool_leader',
      help: '1 while this daemon leads and acts on decisions, 0 in standby or dry run.',
      registers,
    });
    this.tick = new Histogram({
      name: 'warmpool_tick_duration_seconds',
      help: 'Duration of one tick over every model.',
      buckets: TICK_BUCKETS_S,
      registers,
    });
  }

  /** One tick's duration (the Daemon calls it after each tick). */
  observeTick(seconds: number): void {
    if (Number.isFinite(seconds) && seconds >= 0) this.tick.observe(seconds);
  }

  /** Prometheus text exposition of everything. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  write(r: DaemonLogRecord): void {
    if (r.kind !== 'outcome' && r.error) this.countError(r.error);
    switch (r.kind) {
      case 'decision': {
        const model = r.model;
        const series = this.seriesOf(model);
        this.decisions.inc({ model, action: r.action, acted: r.acted });
        series.decisions.add(`${r.action}\n${r.acted}`);
        // a live demand read that failed is a note, not the record's error (the tick went on without it)
        for (const note of r.notes ?? []) {
          const m = DEMAND_NOTE.exec(note);
          if (m) this.countError({ stage: 'demand', code: m[1]!, message: '' });
        }
        for (const reason of new Set(r.reasons)) {
          this.reasons.inc({ model, reason });
          series.reasons.add(reason);
        }
        this.desired.set({ model }, r.to);
        setOrRemove(this.providerDesired, model, r.desired);
        setOrRemove(this.ready, model, r.ready);
        setOrRemove(this.warming, model, r.warming);
        this.failed.set({ model }, r.failed ?? 0);
        setOrRemove(this.observed, model, r.observedPerS);
        setOrRemove(this.forecastP50, model, r.forecastP50PerS);
        setOrRemove(this.forecastUpper, model, r.forecastUpperPerS);
        setOrRemove(this.leadTime, model, r.leadTimeS);
        setOrRemove(this.measuredLeadTime, model, r.measuredLeadTimeS);
        if (r.sla) {
          this.slaLatency.set({ model }, r.sla.latencyTargetP95Ms / 1000);
          setOrRemove(this.capacity, model, r.ready === null ? null : r.ready * r.sla.capacityPerReplicaPerS);
        }
        for (const [stage, s] of Object.entries(r.leadTimeStagesS ?? {})) {
          if (!Number.isFinite(s)) continue;
          series.stages.add(stage);
          this.leadTimeStage.set({ model, stage }, s);
        }
        this.leader.set(r.leader ? 1 : 0); // not r.dryRun: an advise-mode model of a leading daemon is dry-run alone
        return;
      }
      case 'outcome':
        this.outcomes.inc({ model: r.model, outcome: r.outcome });
        this.seriesOf(r.model).outcomes.add(r.outcome);
        return;
      case 'job':
        this.jobs.inc({ event: r.event });
        return;
      case 'config': {
        // a model removed from the config: every series of it goes, counters too (a model added again starts at 0)
        const removed = r.event === 'reloaded' ? r.detail?.removed : undefined;
        if (Array.isArray(removed)) for (const model of removed) if (typeof model === 'string') this.forget(model);
        return;
      }
      case 'leader':
        if (r.event === 'standby' || r.event === 'lost') this.leader.set(0);
        else if (r.event === 'leading') this.leader.set(1);
        return;
      default:
        return;
    }
  }

  private seriesOf(model: string): ModelSeries {
    let s = this.perModelSeries.get(model);
    if (!s) {
      s = { decisions: new Set(), reasons: new Set(), outcomes: new Set(), stages: new Set() };
      this.perModelSeries.set(model, s);
    }
    return s;
  }

  private forget(model: string): void {
    for (const g of this.perModelGauges) g.remove({ model });
    const s = this.perModelSeries.get(model);
    if (!s) return;
    this.perModelSeries.delete(model);
    for (const key of s.decisions) {
      const [action, acted] = key.split('\n');
      this.decisions.remove({ model, action: action!, acted: acted! });
    }
    for (const reason of s.reasons) this.reasons.remove({ model, reason });
    for (const outcome of s.outcomes) this.outcomes.remove({ model, outcome });
    for (const stage of s.stages) this.leadTimeStage.remove({ model, stage });
  }

  private countError(e: LoggedError): void {
    let code = e.code;
    if (!this.codes.has(code)) {
      if (this.codes.size >= MAX_ERROR_CODES) code = 'other';
      else this.codes.add(code);
    }
    this.errors.inc({ kind: errorKind(e.stage), code });
  }

  async close(): Promise<void> {
    // the registry lives as long as the HTTP server
  }
}

/** Label values of one model's series besides `model` (each set bounded by its enum). */
interface ModelSeries {
  /** `action\nacted` */
  readonly decisions: Set<string>;
  readonly reasons: Set<string>;
  readonly outcomes: Set<string>;
  readonly stages: Set<string>;
}

function setOrRemove(g: Gauge<'model'>, model: string, v: number | null | undefined): void {
  if (v === null || v === undefined || !Number.isFinite(v)) g.remove({ model });
  else g.set({ model }, v);
}
