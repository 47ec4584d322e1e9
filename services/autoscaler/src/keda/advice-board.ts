import type { ModelMode } from '@warmpool/domain';
import type { DaemonLogRecord } from '../daemon/daemon-record.js';
import type { RecordSink } from '../daemon/decision-log.js';

/** What warmpool advises for one model: its forecast-ahead replica count, from the model's latest decision. */
export interface Advice {
  readonly model: string;
  /** The planner's target (`to` of the decision): the replicas needed one lead time ahead. */
  readonly replicas: number;
  /** Whether the model should have any replica (KEDA's activation: scale from and to zero). */
  readonly active: boolean;
  /** The decision it came from (`model@epochMs`) and when. */
  readonly decisionId: string;
  readonly time: string;
}

/** Why a model cannot be advised on. */
export type AdviceLookup =
  | { readonly kind: 'ok'; readonly advice: Advice }
  | { readonly kind: 'unknown'; readonly known: readonly string[] }
  | { readonly kind: 'acting' }
  | { readonly kind: 'pending' };

/** A configured model as the board sees it. */
export interface AdvisedModel {
  readonly name: string;
  readonly mode?: ModelMode | undefined;
}

/**
 * The daemon's decisions as advice for KEDA: a sink of the decision log that keeps, per configured model, the replica
 * count of its latest decision (records of a provider that could not be read are skipped: they repeat the last known
 * size, not a forecast). The models and their modes are read from `models()` on every use, so a reloaded config
 * applies at once. Bounded: only configured models are kept. Listeners hear every change.
 */
export class AdviceBoard implements RecordSink {
  readonly name = 'keda-scaler';
  private readonly models: () => readonly AdvisedModel[];
  private readonly latest = new Map<string, Advice>();
  private readonly listeners = new Set<(advice: Advice) => void>();

  /** The configured models: a list, or a function returning the current list (the daemon's config after reloads). */
  constructor(models: readonly AdvisedModel[] | (() => readonly AdvisedModel[])) {
    this.models = typeof models === 'function' ? models : () => models;
  }

  private modes(): Map<string, ModelMode> {
    return new Map(this.models().map((m) => [m.name, m.mode ?? 'act']));
  }

  write(record: DaemonLogRecord): void {
    if (record.kind !== 'decision') return;
    const modes = this.modes();
    if (!modes.has(record.model)) return;
    for (const m of this.latest.keys()) if (!modes.has(m)) this.latest.delete(m);
    if (record.reasons.includes('ProviderUnavailable') || !Number.isInteger(record.to) || record.to < 0) return;
    const previous = this.latest.get(record.model);
    const advice: Advice = {
      model: record.model,
      replicas: record.to,
      active: record.to > 0,
      decisionId: record.id,
      time: record.time,
    };
    this.latest.set(record.model, advice);
    if (previous?.replicas === advice.replicas) return;
    for (const l of this.listeners) {
      try {
        l(advice);
      } catch {
        // A listener (one gRPC stream) failing must not stop the decision log or the other streams.
      }
    }
  }

  lookup(model: string): AdviceLookup {
    const modes = this.modes();
    const mode = modes.get(model);
    if (mode === undefined) return { kind: 'unknown', known: [...modes.keys()] };
    if (mode !== 'advise') return { kind: 'acting' };
    const advice = this.latest.get(model);
    return advice ? { kind: 'ok', advice } : { kind: 'pending' };
  }

  /** Adds a listener of advice changes; returns the function that removes it. */
  subscribe(listener: (advice: Advice) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
