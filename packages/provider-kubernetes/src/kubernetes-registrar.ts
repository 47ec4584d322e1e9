import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { ValidationError, type Registrar, type ReplicaRegistration } from '@warmpool/domain';
import { KubeCaller } from './kube-caller.js';
import { DEFAULT_RETRY_POLICY, realRetryEnv, type RetryEnv, type RetryPolicy } from './retry-policy.js';
import { WarmConditionReason, WarmpoolCondition } from './warmpool-keys.js';

export interface KubernetesRegistrarOptions {
  readonly kubeConfig: KubeConfig;
  /** This pod's namespace and name (downward API: POD_NAMESPACE, POD_NAME). */
  readonly namespace: string;
  readonly podName: string;
  /** Also write the `warmpool.io/warm` condition (False, `Warming`, lastProbeTime now) on each heartbeat (one API write each). Default false. */
  readonly annotateHeartbeat?: boolean;
  readonly nowMs?: () => number;
  readonly retry?: Partial<RetryPolicy>;
  readonly retryEnv?: RetryEnv;
}

interface WarmCondition {
  readonly type: string;
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
  readonly lastProbeTime: string;
  readonly lastTransitionTime?: string;
}

/**
 * Registrar for a warm-up agent running inside a Kubernetes pod.
 *
 * Traffic is gated by the pod's readiness: its readiness probe on the agent's `/readyz` (503 until warm-up
 * converged and memory headroom was checked) and, where the pod template lists it in `spec.readinessGates`, the
 * pod condition `warmpool.io/warm` this adapter writes. The Service only routes to Ready pods.
 *
 * Every write is a strategic merge patch of the pod's own `status.conditions` through the `pods/status`
 * subresource (RBAC: `patch` on `pods/status` only, never on whole pods), merged by condition type so the
 * kubelet's conditions are untouched:
 * - heartbeat (optional): `False`, reason `Warming`, `lastProbeTime` now;
 * - register: `True`, reason `WarmupConverged`, message `warm on <execution provider>`, `lastTransitionTime` now
 *   (the autoscaler reads it as the time the replica turned warm);
 * - fail: `False`, reason `WarmupFailed`, message the reason;
 * - deregister (SIGTERM): `False`, reason `Draining`.
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
    if (!options.namespace)
      issues.push({
        path: 'namespace',
        value: options.namespace,
        allowed: 'the pod namespace (set POD_NAMESPACE from the downward API)',
      });
    if (!options.podName)
      issues.push({
        path: 'podName',
        value: options.podName,
        allowed: 'the pod name (set POD_NAME from the downward API)',
      });
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

  private async patchCondition(
    verb: string,
    status: 'True' | 'False',
    reason: string,
    message: string,
    transition: boolean,
  ): Promise<void> {
    const now = this.nowIso();
    const condition: WarmCondition = {
      type: WarmpoolCondition.Warm,
      status,
      reason,
      message,
      lastProbeTime: now,
      ...(transition ? { lastTransitionTime: now } : {}),
    };
    const body = { status: { conditions: [condition] } };
    await this.caller.call(
      verb,
      { kind: 'Pod', namespace: this.namespace, name: this.podName, subresource: 'status' },
      (o) => this.core.patchNamespacedPodStatus({ name: this.podName, namespace: this.namespace, body }, o),
      { strategicMergePatch: true },
    );
  }

  async heartbeat(_registration: ReplicaRegistration): Promise<void> {
    if (!this.annotateHeartbeat) return;
    await this.patchCondition('patch (heartbeat)', 'False', WarmConditionReason.Warming, 'loading and warming', false);
  }

  async register(registration: ReplicaRegistration): Promise<void> {
    await this.patchCondition(
      'patch (register warm)',
      'True',
      WarmConditionReason.WarmupConverged,
      `warm on ${registration.executionProvider}`,
      true,
    );
  }

  async fail(_registration: ReplicaRegistration, reason: string): Promise<void> {
    const text = reason.length > 1024 ? `${reason.slice(0, 1021)}...` : reason;
    await this.patchCondition(
      'patch (warm-up failed)',
      'False',
      WarmConditionReason.WarmupFailed,
      text || 'unknown reason',
      true,
    );
  }

  async deregister(_registration: ReplicaRegistration): Promise<void> {
    await this.patchCondition(
      'patch (deregister)',
      'False',
      WarmConditionReason.Draining,
      'the agent deregistered; the pod drains',
      true,
    );
  }
}
