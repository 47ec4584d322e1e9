import type { KubeConfig } from '@kubernetes/client-node';
import {
  ValidationError,
  WarmpoolError,
  type ReplicaProvider,
  type ReplicaReplacement,
  type ReplicaSetState,
  type ScaleRequest,
} from '@warmpool/domain';
import { KubernetesApiError, KubernetesErrorCode } from './errors/kubernetes-api-error.js';
import { UnknownModelError } from './errors/unknown-model-error.js';
import { KubeCaller, type CallHooks } from './kube-caller.js';
import type { KubernetesTarget } from './kubernetes-target.js';
import { podToReplica } from './pod-replica.js';
import { DEFAULT_RETRY_POLICY, realRetryEnv, type RetryEnv, type RetryPolicy } from './retry-policy.js';
import { WorkloadApi } from './workload-api.js';
import { AutoscalerConflictCheck } from './autoscaler-conflict-check.js';
import { DecisionLedger } from './decision-ledger.js';
import { AutoscalerConflictError } from './errors/autoscaler-conflict-error.js';
import { EventReason } from './event-reason.js';
import { KubernetesEventRecorder } from './kubernetes-event-recorder.js';

export interface KubernetesReplicaProviderOptions {
  readonly kubeConfig: KubeConfig;
  /** Model name → where its replicas live. */
  readonly targets: ReadonlyMap<string, KubernetesTarget>;
  readonly retry?: Partial<RetryPolicy>;
  /** Sleep and randomness for backoff; tests inject ones that do not wait. */
  readonly retryEnv?: RetryEnv;
  /** How many recent decision keys are kept per workload for idempotency. Default 20. */
  readonly recentDecisionsKept?: number;
  /** Name of the Lease (in each target's namespace) that records the decision keys applied. Default `warmpool-decisions`. */
  readonly decisionLeaseName?: string;
  /**
   * Check for an HPA or a KEDA ScaledObject targeting the workload before every scale and refuse
   * (AutoscalerConflictError) when there is one. Default true.
   */
  readonly checkAutoscalerConflicts?: boolean;
  readonly onRetry?: CallHooks['onRetry'];
  /**
   * Records the Warning Event (reason `ReplicaFailed`) on each pod a scale's `replace` list deletes. Default: one built
   * on the same kubeConfig. A failed Event does not fail the scale: it goes to `onEventFailed`.
   */
  readonly events?: KubernetesEventRecorder;
  readonly onEventFailed?: (err: unknown) => void;
}

/** What `scaleWithOutcome` did. */
export interface ScaleOutcome {
  readonly applied: boolean;
  /** `duplicate`: the key was applied before. `unchanged`: replicas already matched (key still recorded). */
  readonly skipped?: 'duplicate';
  readonly previousReplicas?: number;
  readonly replicas: number;
  /** Pods deleted for a `replace` list (their controller starts fresh ones). */
  readonly deletedPods?: readonly string[];
  /** 409 Conflicts absorbed by re-reading. */
  readonly conflicts: number;
}

/**
 * ReplicaProvider for Kubernetes: one Deployment or StatefulSet per model, scaled through its
 * `scale` subresource (least privilege: `deployments/scale`, `statefulsets/scale`; no `patch` on the
 * workloads), state read from the model's pods (readiness, phase and the agent's `warmpool.io/warm`
 * condition, see podToReplica).
 *
 * Beside other autoscalers: before a scale it lists the HPAs and KEDA ScaledObjects of the namespace and refuses
 * (AutoscalerConflictError, not retryable) when one targets the workload.
 *
 * Idempotency: after a scale the decision key is recorded in a named Lease of the namespace (DecisionLedger,
 * `warmpool-decisions`: the last N keys per workload); a request whose key is there is skipped. The scale is
 * written before the key, so a crash in between re-applies the same absolute replica count on retry, never a
 * different one. Optimistic concurrency: the scale PUT carries the Scale's resourceVersion and the Lease write the
 * Lease's; on 409 the provider re-reads both and tries again (maxConflictRetries).
 */
export class KubernetesReplicaProvider implements ReplicaProvider {
  readonly name = 'kubernetes';
  private readonly targets: ReadonlyMap<string, KubernetesTarget>;
  private readonly api: WorkloadApi;
  private readonly ledger: DecisionLedger;
  private readonly conflicts: AutoscalerConflictCheck | undefined;
  private readonly policy: RetryPolicy;
  private readonly events: KubernetesEventRecorder;
  private readonly onEventFailed: (err: unknown) => void;
  private closed = false;

  constructor(options: KubernetesReplicaProviderOptions) {
    this.targets = options.targets;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    const caller = new KubeCaller(this.policy, options.retryEnv ?? realRetryEnv, { onRetry: options.onRetry });
    this.api = new WorkloadApi(options.kubeConfig, caller);
    this.ledger = new DecisionLedger(
      options.kubeConfig,
      caller,
      options.decisionLeaseName ?? 'warmpool-decisions',
      options.recentDecisionsKept ?? 20,
    );
    this.conflicts =
      options.checkAutoscalerConflicts === false ? undefined : new AutoscalerConflictCheck(options.kubeConfig, caller);
    this.events =
      options.events ??
      new KubernetesEventRecorder({
        kubeConfig: options.kubeConfig,
        retry: this.policy,
        ...(options.retryEnv ? { retryEnv: options.retryEnv } : {}),
      });
    this.onEventFailed = options.onEventFailed ?? (() => {});
  }

  target(model: string): KubernetesTarget {
    if (this.closed) throw new WarmpoolError('E_PROVIDER_CLOSED', `kubernetes provider is closed (model "${model}")`);
    const t = this.targets.get(model);
    if (!t) throw new UnknownModelError(model, [...this.targets.keys()]);
    return t;
  }

  async getState(model: string): Promise<ReplicaSetState> {
    const t = this.target(model);
    const scale = await this.api.readScale(t);
    const pods = await this.api.listPods(t);
    const replicas = pods.map((p) => podToReplica(p, t.requireWarmLabel)).sort((a, b) => a.id.localeCompare(b.id));
    return { model, desired: scale.spec?.replicas ?? 0, replicas };
  }

  /**
   * Throws AutoscalerConflictError when an HPA or a KEDA ScaledObject targets the model's workload (the daemon asks
   * before it enqueues a scale, so the decision line says so at once); resolves when warmpool may act.
   */
  async checkCanAct(model: string): Promise<void> {
    const t = this.target(model);
    if (!this.conflicts) return;
    const owners = await this.conflicts.owners(t);
    if (owners.length > 0) throw new AutoscalerConflictError(model, WorkloadApi.ref(t), owners);
  }

  async scale(request: ScaleRequest): Promise<void> {
    await this.scaleWithOutcome(request);
  }

  async scaleWithOutcome(request: ScaleRequest): Promise<ScaleOutcome> {
    const t = this.target(request.model);
    if (!Number.isInteger(request.replicas) || request.replicas < 0) {
      throw new ValidationError(
        [{ path: 'replicas', value: request.replicas, allowed: 'an integer >= 0' }],
        `scale request for model "${request.model}"`,
      );
    }
    if (typeof request.idempotencyKey !== 'string' || request.idempotencyKey.length === 0) {
      throw new ValidationError(
        [{ path: 'idempotencyKey', value: request.idempotencyKey, allowed: 'a non-empty string' }],
        `scale request for model "${request.model}"`,
      );
    }
    let conflicts = 0;
    for (;;) {
      try {
        return { ...(await this.applyOnce(t, request)), conflicts };
      } catch (err) {
        if (
          !(err instanceof KubernetesApiError) ||
          err.code !== KubernetesErrorCode.Conflict ||
          conflicts >= this.policy.maxConflictRetries
        )
          throw err;
        conflicts++;
      }
    }
  }

  private async applyOnce(t: KubernetesTarget, request: ScaleRequest): Promise<Omit<ScaleOutcome, 'conflicts'>> {
    const snapshot = await this.ledger.read(t);
    if (DecisionLedger.has(snapshot, t, request.idempotencyKey)) {
      return { applied: false, skipped: 'duplicate', replicas: request.replicas };
    }
    const scale = await this.api.readScale(t);
    const previous = scale.spec?.replicas ?? 0;
    // Deleting failed pods is acting on the workload too: refused beside an HPA or a KEDA ScaledObject.
    if (previous !== request.replicas || request.replace?.length) await this.checkCanAct(request.model);
    if (previous !== request.replicas)
      await this.api.replaceScale(t, request.replicas, scale.metadata?.resourceVersion);
    const deletedPods = request.replace?.length ? await this.deleteFailedPods(t, request.replace) : [];
    await this.ledger.record(t, request.idempotencyKey, snapshot);
    return {
      applied: true,
      previousReplicas: previous,
      replicas: request.replicas,
      ...(deletedPods.length ? { deletedPods } : {}),
    };
  }

  /**
   * Deletes each listed pod still there and not terminating (the Deployment's ReplicaSet or the StatefulSet starts a
   * fresh one), and records a Warning Event `ReplicaFailed` on the pod naming why. A pod gone meanwhile is skipped.
   */
  private async deleteFailedPods(t: KubernetesTarget, replace: readonly ReplicaReplacement[]): Promise<string[]> {
    const pods = new Map((await this.api.listPods(t)).map((p) => [p.metadata?.name ?? '', p]));
    const deleted: string[] = [];
    for (const { id, reason } of replace) {
      const pod = pods.get(id);
      if (!pod || pod.metadata?.deletionTimestamp) continue;
      try {
        await this.api.deletePod(t, id);
      } catch (err) {
        if (err instanceof KubernetesApiError && err.code === KubernetesErrorCode.NotFound) continue;
        throw err;
      }
      deleted.push(id);
      const message = `warmpool deleted pod ${id} of ${t.kind} ${t.namespace}/${t.name} to replace it: ${reason}`;
      await this.events
        .record(
          { namespace: t.namespace, kind: 'Pod', name: id, ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}) },
          {
            reason: EventReason.ReplicaFailed,
            type: 'Warning',
            message: message.length > 1024 ? `${message.slice(0, 1021)}...` : message,
            action: 'Replace',
          },
        )
        .catch((err: unknown) => this.onEventFailed(err));
    }
    return deleted;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
