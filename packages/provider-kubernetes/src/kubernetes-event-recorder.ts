import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Decision } from '@warmpool/domain';
import { KubernetesApiError, KubernetesErrorCode } from './errors/kubernetes-api-error.js';
import { KubeCaller } from './kube-caller.js';
import { eventForDecision, type EventSpec } from './event-reason.js';
import type { KubernetesTarget } from './kubernetes-target.js';
import { DEFAULT_RETRY_POLICY, realRetryEnv, type RetryEnv, type RetryPolicy } from './retry-policy.js';

export interface KubernetesEventRecorderOptions {
  readonly kubeConfig: KubeConfig;
  /** `source.component` / `reportingComponent`. Default `warmpool`. */
  readonly component?: string;
  /** `reportingInstance`, e.g. the daemon's pod name. */
  readonly instance?: string;
  readonly nowMs?: () => number;
  readonly retry?: Partial<RetryPolicy>;
  readonly retryEnv?: RetryEnv;
  /**
   * Repeats of an event with the same aggregation key within this window update the first
   * Event (count + 1, lastTimestamp, latest message) instead of creating a new one, as kubectl
   * shows `(x12 over 1m)`. Default 10 min; 0 turns aggregation off.
   */
  readonly aggregateWindowMs?: number;
}

interface Aggregate {
  readonly namespace: string;
  readonly name: string;
  count: number;
  readonly firstAtMs: number;
}

/** The object an Event is about. */
export type EventSubject = Pick<KubernetesTarget, 'namespace' | 'name'> & {
  readonly kind: KubernetesTarget['kind'] | 'Pod';
  readonly uid?: string;
};

/**
 * Emits core/v1 Events on a model's workload, with grep-able reason constants (EventReason),
 * so `kubectl describe deployment llama` shows why warmpool scaled it.
 * A failed emit throws a KubernetesApiError; callers log it, they never stop on it.
 */
export class KubernetesEventRecorder {
  private readonly core: CoreV1Api;
  private readonly caller: KubeCaller;
  private readonly component: string;
  private readonly instance: string | undefined;
  private readonly nowMs: () => number;
  private readonly aggregateWindowMs: number;
  private readonly aggregates = new Map<string, Aggregate>();

  constructor(options: KubernetesEventRecorderOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.caller = new KubeCaller({ ...DEFAULT_RETRY_POLICY, ...options.retry }, options.retryEnv ?? realRetryEnv);
    this.component = options.component ?? 'warmpool';
    this.instance = options.instance;
    this.nowMs = options.nowMs ?? Date.now;
    this.aggregateWindowMs = options.aggregateWindowMs ?? 600_000;
  }

  /** Key under which repeats are folded into one Event; by default reason, type and subject. */
  private aggregationKey(subject: EventSubject, spec: EventSpec, key?: string): string {
    return `${subject.namespace}/${subject.kind}/${subject.name}|${spec.type}|${spec.reason}|${key ?? spec.message}`;
  }

  /**
   * Records an Event, folding repeats with the same `aggregationKey` (default: the message)
   * into the existing Event within the aggregation window.
   */
  async record(subject: EventSubject, spec: EventSpec, aggregationKey?: string): Promise<CoreV1Event> {
    const key = this.aggregationKey(subject, spec, aggregationKey);
    const now = this.nowMs();
    const agg = this.aggregateWindowMs > 0 ? this.aggregates.get(key) : undefined;
    if (agg && now - agg.firstAtMs <= this.aggregateWindowMs) {
      try {
        const updated = await this.caller.call(
          'patch',
          { kind: 'Event', namespace: agg.namespace, name: agg.name },
          (o) =>
            this.core.patchNamespacedEvent(
              {
                name: agg.name,
                namespace: agg.namespace,
                body: { count: agg.count + 1, lastTimestamp: new Date(now).toISOString(), message: spec.message },
              },
              o,
            ),
          { mergePatch: true },
        );
        agg.count += 1;
        return updated;
      } catch (err) {
        // The Event expired (events have a TTL) or may not be patched: start a new one. Anything else is a real failure.
        const fallBack =
          err instanceof KubernetesApiError &&
          [KubernetesErrorCode.NotFound, KubernetesErrorCode.Forbidden, KubernetesErrorCode.Invalid].includes(
            err.code as never,
          );
        if (!fallBack) throw err;
        this.aggregates.delete(key);
      }
    }
    const created = await this.create(subject, spec);
    if (this.aggregateWindowMs > 0 && created.metadata?.name) {
      if (this.aggregates.size > 1000) this.aggregates.clear();
      this.aggregates.set(key, { namespace: subject.namespace, name: created.metadata.name, count: 1, firstAtMs: now });
    }
    return created;
  }

  private async create(subject: EventSubject, spec: EventSpec): Promise<CoreV1Event> {
    const now = new Date(this.nowMs());
    const body: CoreV1Event = {
      metadata: { generateName: `${subject.name}.`, namespace: subject.namespace },
      involvedObject: {
        apiVersion: subject.kind === 'Pod' ? 'v1' : 'apps/v1',
        kind: subject.kind,
        name: subject.name,
        namespace: subject.namespace,
        ...(subject.uid ? { uid: subject.uid } : {}),
      },
      reason: spec.reason,
      type: spec.type,
      message: spec.message,
      ...(spec.action ? { action: spec.action } : {}),
      source: { component: this.component },
      reportingComponent: this.component,
      ...(this.instance ? { reportingInstance: this.instance } : {}),
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    };
    return this.caller.call(
      'create',
      { kind: 'Event', namespace: subject.namespace, name: `${subject.name}.* (${spec.reason})` },
      (o) => this.core.createNamespacedEvent({ namespace: subject.namespace, body }, o),
    );
  }

  /** Records the Event for a decision (folded with repeats); returns false when the decision warrants none (plain hold). */
  async recordDecision(subject: EventSubject, decision: Decision): Promise<boolean> {
    const spec = eventForDecision(decision);
    if (!spec) return false;
    // Repeats of the same action between the same sizes fold into one Event (a hold repeats every tick).
    await this.record(subject, spec, `${decision.action}:${decision.from}->${decision.to}`);
    return true;
  }
}
