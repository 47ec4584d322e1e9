import { AutoscalingV2Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { KubernetesApiError, KubernetesErrorCode, type KubeObjectRef } from './errors/kubernetes-api-error.js';
import type { KubeCaller } from './kube-caller.js';
import type { KubernetesTarget } from './kubernetes-target.js';

/** KEDA's ScaledObject, as far as this check reads it. */
interface ScaledObjectLike {
  readonly metadata?: { readonly name?: string };
  readonly spec?: { readonly scaleTargetRef?: ScaleTargetRef };
}

interface ScaleTargetRef {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly name?: string;
}

export const KEDA_GROUP = 'keda.sh';
export const KEDA_VERSION = 'v1alpha1';

/** Whether a scaleTargetRef names the target's workload (KEDA defaults `kind` to Deployment, `apiVersion` to apps/v1). */
export function refTargets(ref: ScaleTargetRef | undefined, t: KubernetesTarget): boolean {
  if (!ref || ref.name !== t.name) return false;
  if ((ref.kind ?? 'Deployment') !== t.kind) return false;
  const group = (ref.apiVersion ?? 'apps/v1').split('/')[0];
  return group === 'apps';
}

/**
 * Finds the other autoscalers that target a workload: autoscaling/v2 HorizontalPodAutoscalers and KEDA
 * ScaledObjects (keda.sh/v1alpha1; a cluster without KEDA's CRDs answers 404, which means none) in the workload's
 * namespace. RBAC: `list` on `horizontalpodautoscalers` (autoscaling) and `scaledobjects` (keda.sh).
 */
export class AutoscalerConflictCheck {
  private readonly autoscaling: AutoscalingV2Api;
  private readonly custom: CustomObjectsApi;

  constructor(
    kubeConfig: KubeConfig,
    private readonly caller: KubeCaller,
  ) {
    this.autoscaling = kubeConfig.makeApiClient(AutoscalingV2Api);
    this.custom = kubeConfig.makeApiClient(CustomObjectsApi);
  }

  /** The HPAs and ScaledObjects whose scaleTargetRef is the target's workload (empty: none). */
  async owners(t: KubernetesTarget): Promise<KubeObjectRef[]> {
    const [hpas, scaledObjects] = await Promise.all([this.hpas(t), this.scaledObjects(t)]);
    return [...hpas, ...scaledObjects];
  }

  private async hpas(t: KubernetesTarget): Promise<KubeObjectRef[]> {
    const ref: KubeObjectRef = { kind: 'HorizontalPodAutoscaler', namespace: t.namespace, name: '(all)' };
    const list = await this.caller.call('list', ref, (o) =>
      this.autoscaling.listNamespacedHorizontalPodAutoscaler({ namespace: t.namespace }, o),
    );
    return list.items
      .filter((h) => refTargets(h.spec?.scaleTargetRef, t))
      .map((h) => ({ kind: 'HorizontalPodAutoscaler', namespace: t.namespace, name: h.metadata?.name ?? '(unnamed)' }));
  }

  private async scaledObjects(t: KubernetesTarget): Promise<KubeObjectRef[]> {
    const ref: KubeObjectRef = { kind: 'ScaledObject', namespace: t.namespace, name: '(all)' };
    let body: unknown;
    try {
      body = await this.caller.call('list', ref, (o) =>
        this.custom.listNamespacedCustomObject(
          { group: KEDA_GROUP, version: KEDA_VERSION, namespace: t.namespace, plural: 'scaledobjects' },
          o,
        ),
      );
    } catch (err) {
      // No KEDA CRDs on this cluster: nothing can target the workload through KEDA.
      if (err instanceof KubernetesApiError && err.code === KubernetesErrorCode.NotFound) return [];
      throw err;
    }
    const items =
      body !== null && typeof body === 'object' && Array.isArray((body as { items?: unknown }).items)
        ? ((body as { items: unknown[] }).items as ScaledObjectLike[])
        : [];
    return items
      .filter((s) => s !== null && typeof s === 'object' && refTargets(s.spec?.scaleTargetRef, t))
      .map((s) => ({ kind: 'ScaledObject', namespace: t.namespace, name: s.metadata?.name ?? '(unnamed)' }));
  }
}
