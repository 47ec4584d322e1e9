import { CoreV1Api, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import type { Decision } from '@warmpool/domain';
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
}

/** The object an Event is about. */
export type EventSubject = Pick<KubernetesTarget, 'namespace' | 'kind' | 'name'> & { readonly uid?: string };

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

  constructor(options: KubernetesEventRecorderOptions) {
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.caller = new KubeCaller({ ...DEFAULT_RETRY_POLICY, ...options.retry }, options.retryEnv ?? realRetryEnv);
    this.component = options.component ?? 'warmpool';
    this.instance = options.instance;
    this.nowMs = options.nowMs ?? Date.now;
  }

  async record(subject: EventSubject, spec: EventSpec): Promise<CoreV1Event> {
    const now = new Date(this.nowMs());
    const body: CoreV1Event = {
      metadata: { generateName: `${subject.name}.`, namespace: subject.namespace },
      involvedObject: {
        apiVersion: 'apps/v1',
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
    return this.caller.call('create', { kind: 'Event', namespace: subject.namespace, name: `${subject.name}.* (${spec.reason})` }, (o) =>
      this.core.createNamespacedEvent({ namespace: subject.namespace, body }, o),
    );
  }

  /** Records the Event for a decision; returns false when the decision warrants none (plain hold). */
  async recordDecision(subject: EventSubject, decision: Decision): Promise<boolean> {
    const spec = eventForDecision(decision);
    if (!spec) return false;
    await this.record(subject, spec);
    return true;
  }
}
