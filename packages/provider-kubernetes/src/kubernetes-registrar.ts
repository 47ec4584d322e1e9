import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ValidationError, type Registrar, type ReplicaRegistration } from '@warmpool/domain';
import { KubeCaller } from './kube-caller.js';
import { DEFAULT_RETRY_POLICY, realRetryEnv, type RetryEnv, type RetryPolicy } from './retry-policy.js';
import { WarmpoolAnnotation, WarmpoolLabel } from './warmpool-keys.js';

export interface KubernetesRegistrarOptions {
  readonly kubeConfig: KubeConfig;
  /** This pod's namespace and name (downward API: POD_NAMESPACE, POD_NAME). */
  readonly namespace: string;
  readonly podName: string;
  /** Also annotate `warmpool.io/heartbeat` on each heartbeat (one API write each). Default false. */
  readonly annotateHeartbeat?: boolean;
  readonly nowMs?: () => number;
  readonly retry?: Partial<RetryPolicy>;
  readonly retryEnv?: RetryEnv;
}

type Patch = { metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> } };

/**
 * Registrar for a warm-up agent running inside a Kubernetes pod.
 *
 * Traffic is gated by the pod's readiness probe on the agent's `/readyz`, which answers 503 until
 * warm-up converged and memory headroom was checked: the Service only routes to Ready pods. This
 * adapter adds what the autoscaler and operators read: on register it labels the pod
 * `warmpool.io/warm=true` and annotates when (`warmpool.io/warm-at`) and on which execution
 * provider (`warmpool.io/execution-provider`); on fail it sets `warmpool.io/warm=false` and
 * `warmpool.io/warmup-failed=<reason>`; on deregister (SIGTERM) `warmpool.io/draining=<time>`.
 * All writes are JSON merge patches of the pod's own metadata (RBAC: `patch` on `pods`).
 */
export class KubernetesRegistrar implements Registrar {
  readonly name = 'kubernetes';
  private readonly core: CoreV1Api;
  private readonly caller: KubeCaller;
  private readonly namespace: string;
  private readonly podName: string;
  private readonly annotateHeartbeat: boolean;
  private readonly nowMs: () => number;

  constructor(options: KubernetesRegistrarOptions) {
    const issues = [];
    if (!options.namespace) issues.push({ path: 'namespace', value: options.namespace, allowed: 'the pod namespace (set POD_NAMESPACE from the downward API)' });
    if (!options.podName) issues.push({ path: 'podName', value: options.podName, allowed: 'the pod name (set POD_NAME from the downward API)' });
    if (issues.length > 0) throw new ValidationError(issues, 'kubernetes registrar');
    this.core = options.kubeConfig.makeApiClient(CoreV1Api);
    this.caller = new KubeCaller({ ...DEFAULT_RETRY_POLICY, ...options.retry }, options.retryEnv ?? realRetryEnv);
    this.namespace = options.namespace;
    this.podName = options.podName;
    this.annotateHeartbeat = options.annotateHeartbeat ?? false;
    this.nowMs = options.nowMs ?? Date.now;
  }

  private nowIso(): string {
    return new Date(this.nowMs()).toISOString();
  }

  private async patch(verb: string, body: Patch): Promise<void> {
    await this.caller.call(
      verb,
      { kind: 'Pod', namespace: this.namespace, name: this.podName },
      (o) => this.core.patchNamespacedPod({ name: this.podName, namespace: this.namespace, body }, o),
      { mergePatch: true },
    );
  }

  async heartbeat(_registration: ReplicaRegistration): Promise<void> {
    if (!this.annotateHeartbeat) return;
    await this.patch('patch (heartbeat)', { metadata: { annotations: { [WarmpoolAnnotation.Heartbeat]: this.nowIso() } } });
  }

  async register(registration: ReplicaRegistration): Promise<void> {
    await this.patch('patch (register warm)', {
      metadata: {
        labels: { [WarmpoolLabel.Warm]: 'true' },
        annotations: {
          [WarmpoolAnnotation.WarmAt]: this.nowIso(),
          [WarmpoolAnnotation.ExecutionProvider]: registration.executionProvider,
          [WarmpoolAnnotation.WarmupFailed]: null,
          [WarmpoolAnnotation.Draining]: null,
        },
      },
    });
  }

  async fail(_registration: ReplicaRegistration, reason: string): Promise<void> {
    const text = reason.length > 1024 ? `${reason.slice(0, 1021)}...` : reason;
    await this.patch('patch (warm-up failed)', {
      metadata: {
        labels: { [WarmpoolLabel.Warm]: 'false' },
        annotations: { [WarmpoolAnnotation.WarmupFailed]: text || 'unknown reason' },
      },
    });
  }

  async deregister(_registration: ReplicaRegistration): Promise<void> {
    await this.patch('patch (deregister)', {
      metadata: {
        labels: { [WarmpoolLabel.Warm]: 'false' },
        annotations: { [WarmpoolAnnotation.Draining]: this.nowIso() },
      },
    });
  }
}
