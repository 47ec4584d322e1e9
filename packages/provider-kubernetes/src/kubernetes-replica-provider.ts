import type { KubeConfig } from '@kubernetes/client-node';
import {
  ValidationError,
  WarmpoolError,
  type ReplicaProvider,
  type ReplicaSetState,
  type ScaleRequest,
} from '@warmpool/domain';
import { KubernetesApiError, KubernetesErrorCode } from './errors/kubernetes-api-error.js';
import { UnknownModelError } from './errors/unknown-model-error.js';
import { KubeCaller, type CallHooks } from './kube-caller.js';
import type { KubernetesTarget } from './kubernetes-target.js';
import { podToReplica } from './pod-replica.js';
import { DEFAULT_RETRY_POLICY, realRetryEnv, type RetryEnv, type RetryPolicy } from './retry-policy.js';
import { WarmpoolAnnotation } from './warmpool-keys.js';
import { WorkloadApi } from './workload-api.js';

export interface KubernetesReplicaProviderOptions {
  readonly kubeConfig: KubeConfig;
  /** Model name → where its replicas live. */
  readonly targets: ReadonlyMap<string, KubernetesTarget>;
  readonly retry?: Partial<RetryPolicy>;
  /** Sleep and randomness for backoff; tests inject ones that do not wait. */
  readonly retryEnv?: RetryEnv;
  /** How many recent decision keys are kept on the workload for idempotency. Default 20. */
  readonly recentDecisionsKept?: number;
  readonly onRetry?: CallHooks['onRetry'];
}

/** What `scaleWithOutcome` did. */
export interface ScaleOutcome {
  readonly applied: boolean;
  /** `duplicate`: the key was applied before. `unchanged`: replicas already matched (key still recorded). */
  readonly skipped?: 'duplicate';
  readonly previousReplicas?: number;
  readonly replicas: number;
  /** 409 Conflicts absorbed by re-reading. */
  readonly conflicts: number;
}

function parseRecent(raw: string | undefined): string[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * ReplicaProvider for Kubernetes: one Deployment or StatefulSet per model, scaled through its
 * `scale` subresource (least privilege: `deployments/scale`, `statefulsets/scale`), state read
 * from the model's pods (readiness and phase, see podToReplica).
 *
 * Idempotency: after a scale the decision key is written to the workload's annotations
 * (`warmpool.io/last-decision`, and the last N keys in `warmpool.io/recent-decisions`); a request
 * whose key is already there is skipped. The scale is written before the key, so a crash in
 * between re-applies the same absolute replica count on retry, never a different one.
 * Optimistic concurrency: the scale PUT and the annotation patch carry the resourceVersion read
 * just before; on 409 the provider re-reads and tries again (maxConflictRetries).
 */
export class KubernetesReplicaProvider implements ReplicaProvider {
  readonly name = 'kubernetes';
  private readonly targets: ReadonlyMap<string, KubernetesTarget>;
  private readonly api: WorkloadApi;
  private readonly policy: RetryPolicy;
  private readonly recentKept: number;
  private closed = false;

  constructor(options: KubernetesReplicaProviderOptions) {
    this.targets = options.targets;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.api = new WorkloadApi(options.kubeConfig, new KubeCaller(this.policy, options.retryEnv ?? realRetryEnv, { onRetry: options.onRetry }));
    this.recentKept = options.recentDecisionsKept ?? 20;
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

  async scale(request: ScaleRequest): Promise<void> {
    await this.scaleWithOutcome(request);
  }

  async scaleWithOutcome(request: ScaleRequest): Promise<ScaleOutcome> {
    const t = this.target(request.model);
    if (!Number.isInteger(request.replicas) || request.replicas < 0) {
      throw new ValidationError([{ path: 'replicas', value: request.replicas, allowed: 'an integer >= 0' }], `scale request for model "${request.model}"`);
    }
    if (typeof request.idempotencyKey !== 'string' || request.idempotencyKey.length === 0) {
      throw new ValidationError([{ path: 'idempotencyKey', value: request.idempotencyKey, allowed: 'a non-empty string' }], `scale request for model "${request.model}"`);
    }
    let conflicts = 0;
    for (;;) {
      try {
        return { ...(await this.applyOnce(t, request)), conflicts };
      } catch (err) {
        if (!(err instanceof KubernetesApiError) || err.code !== KubernetesErrorCode.Conflict || conflicts >= this.policy.maxConflictRetries) throw err;
        conflicts++;
      }
    }
  }

  private async applyOnce(t: KubernetesTarget, request: ScaleRequest): Promise<Omit<ScaleOutcome, 'conflicts'>> {
    const meta = await this.api.readMetadata(t);
    const annotations = meta.annotations ?? {};
    const recent = parseRecent(annotations[WarmpoolAnnotation.RecentDecisions]);
    if (annotations[WarmpoolAnnotation.LastDecision] === request.idempotencyKey || recent.includes(request.idempotencyKey)) {
      return { applied: false, skipped: 'duplicate', replicas: request.replicas };
    }
    const scale = await this.api.readScale(t);
    const previous = scale.spec?.replicas ?? 0;
    let resourceVersion = meta.resourceVersion;
    if (previous !== request.replicas) {
      const written = await this.api.replaceScale(t, request.replicas, scale.metadata?.resourceVersion);
      // The Scale is a view of the workload: same resourceVersion.
      resourceVersion = written.metadata?.resourceVersion;
    }
    const nextRecent = [...recent.filter((k) => k !== request.idempotencyKey), request.idempotencyKey].slice(-this.recentKept);
    await this.api.patchAnnotations(
      t,
      { [WarmpoolAnnotation.LastDecision]: request.idempotencyKey, [WarmpoolAnnotation.RecentDecisions]: JSON.stringify(nextRecent) },
      resourceVersion,
    );
    return { applied: true, previousReplicas: previous, replicas: request.replicas };
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
