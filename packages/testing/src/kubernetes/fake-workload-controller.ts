import { KubeStatusError } from './kube-status.js';
import { applyPatch, type FakeKubeStore } from './fake-kube-store.js';
import { cloneJson, isJsonObject, type JsonObject } from './patches.js';
import { kubeTime, RESOURCE_TYPES, type KubeResourceType } from './kube-resources.js';

export type WorkloadKind = 'Deployment' | 'StatefulSet';
export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface WorkloadInit {
  readonly kind?: WorkloadKind;
  readonly namespace?: string;
  readonly name: string;
  readonly replicas?: number;
  /** Labels of the pod template; also the workload's selector. Default `{ app: name }`. */
  readonly podLabels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Condition types of the pod template's `readinessGates` (e.g. `warmpool.io/warm`): a pod is Ready only once they are True. */
  readonly readinessGates?: readonly string[];
}

function meta(obj: JsonObject): JsonObject {
  return obj.metadata as JsonObject;
}

function workloadType(kind: WorkloadKind): KubeResourceType {
  return kind === 'Deployment' ? RESOURCE_TYPES.deployments : RESOURCE_TYPES.statefulsets;
}

function labelsOf(obj: JsonObject): Record<string, string> {
  const spec = obj.spec as JsonObject | undefined;
  const selector = spec && isJsonObject(spec.selector) ? spec.selector : undefined;
  const match = selector && isJsonObject(selector.matchLabels) ? selector.matchLabels : {};
  return match as Record<string, string>;
}

function conditionTrue(pod: JsonObject, type: string): boolean {
  const status = pod.status as JsonObject | undefined;
  const conds = status && Array.isArray(status.conditions) ? status.conditions : [];
  return conds.some((c) => isJsonObject(c) && c.type === type && c.status === 'True');
}

function isReady(pod: JsonObject): boolean {
  return conditionTrue(pod, 'Ready');
}

/** The condition types of the pod's `spec.readinessGates`. */
function readinessGates(pod: JsonObject): string[] {
  const spec = pod.spec as JsonObject | undefined;
  const gates = spec && Array.isArray(spec.readinessGates) ? spec.readinessGates : [];
  return gates.flatMap((g) => (isJsonObject(g) && typeof g.conditionType === 'string' ? [g.conditionType] : []));
}

/**
 * Plays the Deployment/StatefulSet controllers and the kubelet: pods follow `spec.replicas`
 * (created Running but not Ready; removed not-ready-first then newest for Deployments, highest
 * ordinal for StatefulSets), and the test decides when a pod turns Ready.
 */
export class FakeWorkloadController {
  private readonly store: FakeKubeStore;
  private podCounter = 0;
  /** pod key (ns/name) → workload key (Kind/ns/name). */
  private readonly owners = new Map<string, string>();
  /** Phase new pods start in. */
  newPodPhase: PodPhase = 'Running';

  constructor(store: FakeKubeStore) {
    this.store = store;
  }

  addWorkload(init: WorkloadInit): JsonObject {
    const kind = init.kind ?? 'Deployment';
    const podLabels = init.podLabels ?? { app: init.name };
    const body: JsonObject = {
      metadata: { name: init.name, labels: { ...podLabels }, annotations: { ...(init.annotations ?? {}) } },
      spec: {
        replicas: init.replicas ?? 1,
        selector: { matchLabels: { ...podLabels } },
        template: {
          metadata: { labels: { ...podLabels } },
          spec: {
            containers: [{ name: 'model-server', image: 'warmpool/model-server:test' }],
            ...(init.readinessGates?.length
              ? { readinessGates: init.readinessGates.map((conditionType) => ({ conditionType })) }
              : {}),
          },
        },
        ...(kind === 'StatefulSet' ? { serviceName: init.name } : {}),
      },
      status: {},
    };
    return this.store.create(workloadType(kind), init.namespace ?? 'default', body);
  }

  /** The Scale subresource view of a workload (autoscaling/v1). */
  getScale(type: KubeResourceType, namespace: string, name: string): JsonObject {
    const w = this.store.get(type, namespace, name);
    const m = meta(w);
    const spec = w.spec as JsonObject;
    const status = (w.status ?? {}) as JsonObject;
    const selector = Object.entries(labelsOf(w))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: m.name!,
        namespace: m.namespace!,
        uid: m.uid!,
        resourceVersion: m.resourceVersion!,
        creationTimestamp: m.creationTimestamp!,
      },
      spec: { replicas: spec.replicas ?? 1 },
      status: { replicas: typeof status.replicas === 'number' ? status.replicas : 0, selector },
    };
  }

  /** PUT or PATCH of the scale subresource: only `spec.replicas` is taken; a stale resourceVersion is a 409. */
  writeScale(
    type: KubeResourceType,
    namespace: string,
    name: string,
    body: unknown,
    patchContentType?: string,
  ): JsonObject {
    const current = this.getScale(type, namespace, name);
    const next = patchContentType !== undefined ? applyPatch(current, patchContentType, body) : body;
    if (!isJsonObject(next)) throw KubeStatusError.badRequest('a Scale body must be a JSON object');
    const nm = isJsonObject(next.metadata) ? next.metadata : {};
    if (patchContentType === undefined && nm.name !== undefined && nm.name !== name) {
      throw KubeStatusError.badRequest(
        `the name of the object (${String(nm.name)}) does not match the name on the URL (${name})`,
      );
    }
    const spec = isJsonObject(next.spec) ? next.spec : {};
    const replicas = spec.replicas;
    if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
      throw KubeStatusError.invalid(
        'Scale',
        name,
        'spec.replicas',
        `Invalid value: ${JSON.stringify(replicas ?? null)}: must be greater than or equal to 0`,
      );
    }
    const rv = nm.resourceVersion;
    const mergePatch = { metadata: rv !== undefined && rv !== '' ? { resourceVersion: rv } : {}, spec: { replicas } };
    this.store.patch(type, namespace, name, 'application/merge-patch+json', mergePatch);
    return this.getScale(type, namespace, name);
  }

  /** Brings the pods of a workload in line with its spec.replicas and updates its status. */
  reconcile(type: KubeResourceType, workload: JsonObject): void {
    const m = meta(workload);
    const ns = String(m.namespace);
    const wkey = `${type.kind}/${ns}/${String(m.name)}`;
    const want = Number((workload.spec as JsonObject).replicas ?? 1);
    const owned = this.ownedPods(wkey, ns);
    if (owned.length < want) {
      for (let i = owned.length; i < want; i++) this.createPod(type, workload, wkey, owned);
    } else if (owned.length > want) {
      const victims = [...owned].sort((a, b) => this.removalOrder(type, a, b)).slice(0, owned.length - want);
      for (const pod of victims) {
        this.store.delete(RESOURCE_TYPES.pods, ns, String(meta(pod).name));
        this.owners.delete(`${ns}/${String(meta(pod).name)}`);
      }
    }
    this.updateStatus(type, ns, String(m.name));
  }

  private removalOrder(type: KubeResourceType, a: JsonObject, b: JsonObject): number {
    if (type.resource === 'statefulsets') return ordinal(b) - ordinal(a);
    const ra = isReady(a) ? 1 : 0;
    const rb = isReady(b) ? 1 : 0;
    if (ra !== rb) return ra - rb;
    return (
      Number(meta(b).resourceVersion) - Number(meta(a).resourceVersion) ||
      String(meta(b).name).localeCompare(String(meta(a).name))
    );
  }

  private ownedPods(wkey: string, ns: string): JsonObject[] {
    return this.store
      .list(RESOURCE_TYPES.pods, ns)
      .filter((p) => this.owners.get(`${ns}/${String(meta(p).name)}`) === wkey);
  }

  private createPod(type: KubeResourceType, workload: JsonObject, wkey: string, existing: JsonObject[]): void {
    const m = meta(workload);
    const ns = String(m.namespace);
    const wname = String(m.name);
    let name: string;
    if (type.resource === 'statefulsets') {
      const used = new Set(existing.map(ordinal));
      let n = 0;
      while (used.has(n)) n++;
      name = `${wname}-${n}`;
    } else {
      this.podCounter += 1;
      name = `${wname}-5d8f7c6b9-${this.podCounter.toString(36).padStart(5, '0')}`;
    }
    const template = ((workload.spec as JsonObject).template ?? {}) as JsonObject;
    const tmeta = (template.metadata ?? {}) as JsonObject;
    const nowIso = kubeTime(this.store.now());
    const phase = this.newPodPhase;
    const pod: JsonObject = {
      metadata: {
        name,
        labels: cloneJson((tmeta.labels ?? {}) as JsonObject),
        annotations: cloneJson((tmeta.annotations ?? {}) as JsonObject),
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: type.resource === 'statefulsets' ? 'StatefulSet' : 'ReplicaSet',
            name: type.resource === 'statefulsets' ? wname : `${wname}-5d8f7c6b9`,
            uid: String(m.uid),
            controller: true,
          },
        ],
      },
      spec: cloneJson((template.spec ?? {}) as JsonObject),
      status: {
        phase,
        conditions: [
          { type: 'PodScheduled', status: phase === 'Pending' ? 'False' : 'True', lastTransitionTime: nowIso },
          { type: 'ContainersReady', status: 'False', lastTransitionTime: nowIso, reason: 'ContainersNotReady' },
          { type: 'Ready', status: 'False', lastTransitionTime: nowIso, reason: 'ContainersNotReady' },
        ],
      },
    };
    this.owners.set(`${ns}/${name}`, wkey);
    const created = this.store.create(RESOURCE_TYPES.pods, ns, pod);
    existing.push(created);
  }

  private updateStatus(type: KubeResourceType, ns: string, name: string): void {
    const w = this.store.find(type, ns, name);
    if (!w) return;
    const pods = this.ownedPods(`${type.kind}/${ns}/${name}`, ns);
    const ready = pods.filter(isReady).length;
    w.status = {
      observedGeneration: meta(w).generation ?? 1,
      replicas: pods.length,
      readyReplicas: ready,
      availableReplicas: ready,
      updatedReplicas: pods.length,
      ...(type.resource === 'statefulsets' ? { currentReplicas: pods.length } : {}),
    };
    this.store.touch(type, w);
  }

  /** A pod was deleted through the API: its controller (ReplicaSet, StatefulSet) creates a replacement at once. */
  podDeleted(name: string, namespace: string): void {
    const wkey = this.owners.get(`${namespace}/${name}`);
    if (!wkey) return;
    this.owners.delete(`${namespace}/${name}`);
    const [kind, ns, wname] = wkey.split('/') as [WorkloadKind, string, string];
    const type = workloadType(kind);
    const workload = this.store.find(type, ns, wname);
    if (workload) this.reconcile(type, workload);
  }

  private podOrThrow(name: string, namespace: string): JsonObject {
    const pod = this.store.find(RESOURCE_TYPES.pods, namespace, name);
    if (!pod) throw new Error(`fake kube: no pod ${namespace}/${name}`);
    return pod;
  }

  private afterPodChange(pod: JsonObject, namespace: string): void {
    this.store.touch(RESOURCE_TYPES.pods, pod);
    const wkey = this.owners.get(`${namespace}/${String(meta(pod).name)}`);
    if (!wkey) return;
    const [kind, ns, wname] = wkey.split('/') as [WorkloadKind, string, string];
    this.updateStatus(workloadType(kind), ns, wname);
  }

  /**
   * The kubelet's view of the containers: `ContainersReady` follows `ready`, and `Ready` is that and every
   * condition named in `spec.readinessGates` being True (as the kubelet computes it).
   */
  setPodReady(name: string, ready: boolean, namespace = 'default'): void {
    const pod = this.podOrThrow(name, namespace);
    const status = pod.status as JsonObject;
    if (ready) status.phase = 'Running';
    this.putCondition(pod, 'ContainersReady', ready);
    this.putCondition(pod, 'Ready', ready && this.gatesPass(pod));
    this.afterPodChange(pod, namespace);
  }

  /**
   * PUT or PATCH of `pods/status`: only `status` is taken from the result (metadata and spec stay as stored, as the
   * API server's status strategy keeps them); a stale resourceVersion is a 409. `Ready` is then recomputed from
   * `ContainersReady` and the readiness gates.
   */
  writePodStatus(namespace: string, name: string, body: unknown, patchContentType?: string): JsonObject {
    const current = this.store.get(RESOURCE_TYPES.pods, namespace, name);
    const next = patchContentType !== undefined ? applyPatch(current, patchContentType, body) : body;
    if (!isJsonObject(next)) throw KubeStatusError.badRequest('a Pod status body must be a JSON object');
    const nm = isJsonObject(next.metadata) ? next.metadata : {};
    const rv = nm.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== meta(current).resourceVersion)
      throw KubeStatusError.conflict('pods', name);
    const status = isJsonObject(next.status) ? next.status : {};
    const conds = Array.isArray(status.conditions) ? status.conditions : [];
    for (const c of conds) {
      if (!isJsonObject(c) || typeof c.type !== 'string' || !['True', 'False', 'Unknown'].includes(String(c.status))) {
        throw KubeStatusError.invalid(
          'Pod',
          name,
          'status.conditions',
          `each condition needs a type and a status of True, False or Unknown (got ${JSON.stringify(c)})`,
        );
      }
    }
    const pod = this.podOrThrow(name, namespace);
    pod.status = cloneJson(status);
    if (readinessGates(pod).length > 0)
      this.putCondition(pod, 'Ready', conditionTrue(pod, 'ContainersReady') && this.gatesPass(pod));
    this.afterPodChange(pod, namespace);
    return this.store.get(RESOURCE_TYPES.pods, namespace, name);
  }

  private gatesPass(pod: JsonObject): boolean {
    return readinessGates(pod).every((g) => conditionTrue(pod, g));
  }

  private putCondition(pod: JsonObject, type: string, value: boolean): void {
    const status = pod.status as JsonObject;
    const all = Array.isArray(status.conditions) ? (status.conditions as JsonObject[]) : [];
    const prev = all.find((c) => c.type === type);
    const nowIso = kubeTime(this.store.now());
    const next: JsonObject = {
      type,
      status: value ? 'True' : 'False',
      lastTransitionTime: prev && (prev.status === 'True') === value ? prev.lastTransitionTime! : nowIso,
    };
    status.conditions = [...all.filter((c) => c.type !== type), next];
  }

  setPodPhase(name: string, phase: PodPhase, namespace = 'default'): void {
    const pod = this.podOrThrow(name, namespace);
    (pod.status as JsonObject).phase = phase;
    if (phase !== 'Running') this.setReadyCondition(pod, false);
    this.afterPodChange(pod, namespace);
  }

  /** Marks a pod terminating (deletionTimestamp set) without removing it. */
  markPodTerminating(name: string, namespace = 'default'): void {
    const pod = this.podOrThrow(name, namespace);
    meta(pod).deletionTimestamp = kubeTime(this.store.now());
    this.afterPodChange(pod, namespace);
  }

  private setReadyCondition(pod: JsonObject, ready: boolean): void {
    const status = pod.status as JsonObject;
    for (const c of status.conditions as JsonObject[]) if (c.type === 'Ready') c.status = ready ? 'True' : 'False';
  }
}

function ordinal(pod: JsonObject): number {
  const m = /-(\d+)$/.exec(String(meta(pod).name));
  return m ? Number(m[1]) : -1;
}
