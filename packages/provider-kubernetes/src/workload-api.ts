import { AppsV1Api, CoreV1Api, type KubeConfig, type V1Pod, type V1Scale } from '@kubernetes/client-node';
import type { KubeObjectRef } from './errors/kubernetes-api-error.js';
import type { KubeCaller } from './kube-caller.js';
import type { KubernetesTarget } from './kubernetes-target.js';

/**
 * The handful of calls the replica provider makes, for either workload kind, each through the
 * KubeCaller (timeout, typed errors, retries).
 */
export class WorkloadApi {
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly caller: KubeCaller;

  constructor(kubeConfig: KubeConfig, caller: KubeCaller) {
    this.apps = kubeConfig.makeApiClient(AppsV1Api);
    this.core = kubeConfig.makeApiClient(CoreV1Api);
    this.caller = caller;
  }

  static ref(t: KubernetesTarget, subresource?: string): KubeObjectRef {
    return { kind: t.kind, namespace: t.namespace, name: t.name, ...(subresource ? { subresource } : {}) };
  }

  readScale(t: KubernetesTarget): Promise<V1Scale> {
    const p = { name: t.name, namespace: t.namespace };
    return this.caller.call('get', WorkloadApi.ref(t, 'scale'), (o) =>
      t.kind === 'Deployment'
        ? this.apps.readNamespacedDeploymentScale(p, o)
        : this.apps.readNamespacedStatefulSetScale(p, o),
    );
  }

  /** PUT of the scale subresource with the resourceVersion read before: a 409 means someone else wrote first. */
  replaceScale(t: KubernetesTarget, replicas: number, resourceVersion: string | undefined): Promise<V1Scale> {
    const body: V1Scale = {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: t.name, namespace: t.namespace, ...(resourceVersion ? { resourceVersion } : {}) },
      spec: { replicas },
    };
    const p = { name: t.name, namespace: t.namespace, body };
    return this.caller.call('update', WorkloadApi.ref(t, 'scale'), (o) =>
      t.kind === 'Deployment'
        ? this.apps.replaceNamespacedDeploymentScale(p, o)
        : this.apps.replaceNamespacedStatefulSetScale(p, o),
    );
  }

  /** Deletes one of the model's pods (its controller starts a replacement); RBAC: `delete` on `pods`. */
  async deletePod(t: KubernetesTarget, name: string): Promise<void> {
    await this.caller.call('delete', { kind: 'Pod', namespace: t.namespace, name }, (o) =>
      this.core.deleteNamespacedPod({ name, namespace: t.namespace }, o),
    );
  }

  async listPods(t: KubernetesTarget): Promise<V1Pod[]> {
    const ref: KubeObjectRef = { kind: 'Pod', namespace: t.namespace, name: `(selector ${t.podSelector})` };
    const list = await this.caller.call('list', ref, (o) =>
      this.core.listNamespacedPod({ namespace: t.namespace, labelSelector: t.podSelector }, o),
    );
    return list.items;
  }
}
