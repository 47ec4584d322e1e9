import { type Decision, ValidationError, type ValidationIssue, WarmpoolError } from '@warmpool/domain';
import type {
  DashboardDecision,
  DashboardEvent,
  DashboardFeed,
  DashboardModelState,
  DashboardPoint,
  DashboardSla,
  DashboardState,
  DashboardLatencyPoint,
} from './dashboard-state.js';
import { RingBuffer } from './ring-buffer.js';

/** What the daemon pushes each tick; rates may be missing or NaN (shown as gaps). */
export interface DashboardTickInput {
  readonly atS: number;
  readonly observedPerS?: number | null;
  readonly forecastP50PerS?: number | null;
  readonly forecastUpperPerS?: number | null;
  readonly windowStartS?: number | null;
  readonly windowEndS?: number | null;
  readonly readyReplicas: number;
  readonly warmingReplicas: number;
}

/** A domain `Decision` fits; so does a `DashboardDecision`. */
export type DashboardDecisionInput = Pick<Decision, 'atS' | 'action' | 'from' | 'to' | 'reasons' | 'message'>;

export interface InMemoryDashboardFeedOptions {
  /** Points kept per model (one per tick: 360 is 30 min at 5 s). */
  readonly maxPoints?: number;
  /** Decisions kept per model. */
  readonly maxDecisions?: number;
  /** Distinct models accepted; a guard against unbounded growth from bad model names. */
  readonly maxModels?: number;
  /** Called when a listener throws; the other listeners still run. Default: `console.error`. */
  readonly onListenerError?: (error: unknown) => void;
}

export const IN_MEMORY_FEED_DEFAULTS = { maxPoints: 360, maxDecisions: 50, maxModels: 64 } as const;

const ACTIONS: readonly string[] = ['scale-up', 'scale-down', 'hold'];

interface ModelSlot {
  sla: DashboardSla | null;
  readonly points: RingBuffer<DashboardPoint>;
  readonly decisions: RingBuffer<DashboardDecision>;
  readonly latency: RingBuffer<DashboardLatencyPoint>;
}

function rate(value: number | null | undefined): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function checkInt(issues: ValidationIssue[], path: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    issues.push({ path, value, allowed: `an integer in [${min}, ${max}]` });
  }
}

function checkFinite(issues: ValidationIssue[], path: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) issues.push({ path, value, allowed: 'a finite number' });
}

/**
 * The dashboard feed the daemon pushes into: per model, bounded ring buffers of ticks and decisions, and the SLA.
 * Invalid input throws a `ValidationError` naming the call, model and field; it never reaches the page.
 */
export class InMemoryDashboardFeed implements DashboardFeed {
  readonly maxPoints: number;
  readonly maxDecisions: number;
  readonly maxModels: number;
  private readonly models = new Map<string, ModelSlot>();
  private readonly listeners = new Set<(event: DashboardEvent) => void>();
  private readonly onListenerError: (error: unknown) => void;

  constructor(options: InMemoryDashboardFeedOptions = {}) {
    const maxPoints = options.maxPoints ?? IN_MEMORY_FEED_DEFAULTS.maxPoints;
    const maxDecisions = options.maxDecisions ?? IN_MEMORY_FEED_DEFAULTS.maxDecisions;
    const maxModels = options.maxModels ?? IN_MEMORY_FEED_DEFAULTS.maxModels;
    const issues: ValidationIssue[] = [];
    checkInt(issues, 'maxPoints', maxPoints, 1, 100_000);
    checkInt(issues, 'maxDecisions', maxDecisions, 1, 10_000);
    checkInt(issues, 'maxModels', maxModels, 1, 10_000);
    if (issues.length > 0) throw new ValidationError(issues, 'InMemoryDashboardFeed options');
    this.maxPoints = maxPoints;
    this.maxDecisions = maxDecisions;
    this.maxModels = maxModels;
    this.onListenerError =
      options.onListenerError ?? ((error) => console.error('dashboard feed listener failed:', error));
  }

  /** Sets (or replaces) the SLA shown for `model`; a `ModelSpec` fits. */
  setSla(model: string, sla: DashboardSla): void {
    const where = `setSla(${JSON.stringify(model)})`;
    const issues: ValidationIssue[] = [];
    for (const key of ['latencyTargetP95Ms', 'capacityPerReplicaPerS'] as const) {
      if (typeof sla?.[key] !== 'number' || !(sla[key] > 0) || !Number.isFinite(sla[key])) {
        issues.push({ path: `${where}.${key}`, value: sla?.[key], allowed: 'a finite number > 0' });
      }
    }
    checkInt(issues, `${where}.minWarmReplicas`, sla?.minWarmReplicas, 0, 1_000_000);
    checkInt(issues, `${where}.maxReplicas`, sla?.maxReplicas, 0, 1_000_000);
    if (issues.length > 0) throw new ValidationError(issues, 'dashboard SLA');
    const copy: DashboardSla = {
      latencyTargetP95Ms: sla.latencyTargetP95Ms,
      capacityPerReplicaPerS: sla.capacityPerReplicaPerS,
      minWarmReplicas: sla.minWarmReplicas,
      maxReplicas: sla.maxReplicas,
    };
    this.slot(model, where).sla = copy;
    this.emit({ type: 'sla', model, sla: copy });
  }

  recordTick(model: string, point: DashboardTickInput): void {
    const where = `recordTick(${JSON.stringify(model)})`;
    const issues: ValidationIssue[] = [];
    checkFinite(issues, `${where}.atS`, point?.atS);
    checkInt(issues, `${where}.readyReplicas`, point?.readyReplicas, 0, 1_000_000);
    checkInt(issues, `${where}.warmingReplicas`, point?.warmingReplicas, 0, 1_000_000);
    if (issues.length > 0) throw new ValidationError(issues, 'dashboard tick');
    const copy: DashboardPoint = {
      atS: point.atS,
      observedPerS: rate(point.observedPerS),
      forecastP50PerS: rate(point.forecastP50PerS),
      forecastUpperPerS: rate(point.forecastUpperPerS),
      windowStartS: rate(point.windowStartS),
      windowEndS: rate(point.windowEndS),
      readyReplicas: point.readyReplicas,
      warmingReplicas: point.warmingReplicas,
    };
    this.slot(model, where).points.push(copy);
    this.emit({ type: 'tick', model, point: copy });
  }

  /** One second's request latency p95 (ms) and request count, plotted against the SLA line. */
  recordLatency(model: string, point: DashboardLatencyPoint): void {
    const where = `recordLatency(${JSON.stringify(model)})`;
    const issues: ValidationIssue[] = [];
    checkFinite(issues, `${where}.atS`, point?.atS);
    if (typeof point?.p95Ms !== 'number' || !Number.isFinite(point.p95Ms) || point.p95Ms < 0)
      issues.push({ path: `${where}.p95Ms`, value: point?.p95Ms, allowed: 'a finite number >= 0' });
    checkInt(issues, `${where}.requests`, point?.requests, 0, 1_000_000_000);
    if (issues.length > 0) throw new ValidationError(issues, 'dashboard latency');
    const copy: DashboardLatencyPoint = { atS: point.atS, p95Ms: point.p95Ms, requests: point.requests };
    this.slot(model, where).latency.push(copy);
    this.emit({ type: 'latency', model, point: copy });
  }

  recordDecision(model: string, decision: DashboardDecisionInput): void {
    const where = `recordDecision(${JSON.stringify(model)})`;
    const issues: ValidationIssue[] = [];
    checkFinite(issues, `${where}.atS`, decision?.atS);
    if (!ACTIONS.includes(decision?.action))
      issues.push({ path: `${where}.action`, value: decision?.action, allowed: ACTIONS.join(' | ') });
    checkInt(issues, `${where}.from`, decision?.from, 0, 1_000_000);
    checkInt(issues, `${where}.to`, decision?.to, 0, 1_000_000);
    if (!Array.isArray(decision?.reasons) || !decision.reasons.every((r) => typeof r === 'string')) {
      issues.push({ path: `${where}.reasons`, value: decision?.reasons, allowed: 'an array of reason codes' });
    }
    if (typeof decision?.message !== 'string')
      issues.push({ path: `${where}.message`, value: decision?.message, allowed: 'a string' });
    if (issues.length > 0) throw new ValidationError(issues, 'dashboard decision');
    const copy: DashboardDecision = {
      atS: decision.atS,
      action: decision.action,
      from: decision.from,
      to: decision.to,
      reasons: [...decision.reasons],
      message: decision.message,
    };
    this.slot(model, where).decisions.push(copy);
    this.emit({ type: 'decision', model, decision: copy });
  }

  snapshot(): DashboardState {
    const models: DashboardModelState[] = [];
    for (const [model, slot] of this.models) {
      models.push({
        model,
        sla: slot.sla,
        points: slot.points.toArray(),
        decisions: slot.decisions.toArray(),
        latency: slot.latency.toArray(),
      });
    }
    return { models, maxPoints: this.maxPoints, maxDecisions: this.maxDecisions };
  }

  subscribe(listener: (event: DashboardEvent) => void): () => void {
    // A wrapper per call, so subscribing the same function twice yields two independent subscriptions.
    const entry = (event: DashboardEvent): void => listener(event);
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  /** Number of live subscriptions (the HTTP handler's leak check in tests). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  private slot(model: string, where: string): ModelSlot {
    const existing = this.models.get(model);
    if (existing) return existing;
    if (typeof model !== 'string' || model.length === 0 || model.length > 253) {
      throw new ValidationError(
        [{ path: `${where}.model`, value: model, allowed: 'a non-empty model name of at most 253 characters' }],
        'dashboard feed',
      );
    }
    if (this.models.size >= this.maxModels) {
      throw new WarmpoolError(
        'E_DASHBOARD_MODEL_LIMIT',
        `${where}: the dashboard already shows ${this.maxModels} models (maxModels); ${JSON.stringify(model)} is not added`,
      );
    }
    const slot: ModelSlot = {
      sla: null,
      points: new RingBuffer(this.maxPoints),
      decisions: new RingBuffer(this.maxDecisions),
      latency: new RingBuffer(this.maxPoints),
    };
    this.models.set(model, slot);
    return slot;
  }

  private emit(event: DashboardEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.onListenerError(error);
      }
    }
  }
}
