import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { KubernetesApiError, KubernetesErrorCode, type KubeObjectRef } from './errors/kubernetes-api-error.js';
import type { KubeCaller } from './kube-caller.js';
import type { KubernetesTarget } from './kubernetes-target.js';
import { WarmpoolAnnotation } from './warmpool-keys.js';

/** At most this many workloads are remembered in one ledger Lease (the oldest entries go first). */
export const LEDGER_MAX_WORKLOADS = 256;

/** What the ledger held when read: the whole map, and the version a write must match. */
export interface LedgerSnapshot {
  /** `Kind/name` → recent decision keys, newest last. */
  readonly entries: Readonly<Record<string, readonly string[]>>;
  /** Undefined: the Lease does not exist yet (the first write creates it). */
  readonly resourceVersion: string | undefined;
  /** The Lease's spec as read, written back unchanged (the ledger uses only an annotation). */
  readonly spec?: V1Lease['spec'];
}

function parseEntries(raw: string | undefined): Record<string, string[]> {
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return {};
    const out: Record<string, string[]> = {};
    for (const [k, keys] of Object.entries(v as Record<string, unknown>)) {
      if (Array.isArray(keys)) out[k] = keys.filter((x): x is string => typeof x === 'string');
    }
    return out;
  } catch {
    return {};
  }
}

/**
 * The record of which scale decisions were applied, kept in one named Lease per namespace (default
 * `warmpool-decisions`) instead of on the workloads, so the daemon needs no `patch` on Deployments or StatefulSets:
 * the Lease's annotation `warmpool.io/recent-decisions` maps `Kind/name` to that workload's last N decision keys.
 * Writes are replaces with the resourceVersion read (a 409 means someone wrote in between: re-read, retry); the
 * first write creates the Lease. RBAC: `get`, `update` on that Lease (resourceNames) and `create` on leases.
 */
export class DecisionLedger {
  private readonly coordination: CoordinationV1Api;

  constructor(
    kubeConfig: KubeConfig,
    private readonly caller: KubeCaller,
    readonly leaseName: string,
    private readonly keptPerWorkload: number,
  ) {
    this.coordination = kubeConfig.makeApiClient(CoordinationV1Api);
  }

  static workloadKey(t: KubernetesTarget): string {
    return `${t.kind}/${t.name}`;
  }

  private ref(t: KubernetesTarget): KubeObjectRef {
    return { kind: 'Lease', namespace: t.namespace, name: this.leaseName };
  }

  async read(t: KubernetesTarget): Promise<LedgerSnapshot> {
    try {
      const lease = await this.caller.call('get', this.ref(t), (o) =>
        this.coordination.readNamespacedLease({ name: this.leaseName, namespace: t.namespace }, o),
      );
      return {
        entries: parseEntries(lease.metadata?.annotations?.[WarmpoolAnnotation.RecentDecisions]),
        resourceVersion: lease.metadata?.resourceVersion ?? '',
        ...(lease.spec ? { spec: lease.spec } : {}),
      };
    } catch (err) {
      if (err instanceof KubernetesApiError && err.code === KubernetesErrorCode.NotFound)
        return { entries: {}, resourceVersion: undefined };
      throw err;
    }
  }

  /** Whether the key was applied to the target's workload, per the snapshot. */
  static has(snapshot: LedgerSnapshot, t: KubernetesTarget, key: string): boolean {
    return snapshot.entries[DecisionLedger.workloadKey(t)]?.includes(key) ?? false;
  }

  /**
   * Adds the key to the target's list and writes the Lease, conditional on the snapshot's version: a
   * KubernetesApiError with code E_K8S_CONFLICT means another writer came first (re-read and try again).
   */
  async record(t: KubernetesTarget, key: string, snapshot: LedgerSnapshot): Promise<void> {
    const wk = DecisionLedger.workloadKey(t);
    const entries: Record<string, readonly string[]> = {};
    for (const [k, v] of Object.entries(snapshot.entries)) if (k !== wk) entries[k] = v;
    const names = Object.keys(entries);
    for (const k of names.slice(0, Math.max(0, names.length - (LEDGER_MAX_WORKLOADS - 1)))) delete entries[k];
    const previous = snapshot.entries[wk] ?? [];
    entries[wk] = [...previous.filter((k) => k !== key), key].slice(-this.keptPerWorkload);
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: this.leaseName,
        namespace: t.namespace,
        labels: { 'app.kubernetes.io/managed-by': 'warmpool' },
        annotations: { [WarmpoolAnnotation.RecentDecisions]: JSON.stringify(entries) },
        ...(snapshot.resourceVersion ? { resourceVersion: snapshot.resourceVersion } : {}),
      },
      spec: snapshot.spec ?? {},
    };
    if (snapshot.resourceVersion === undefined) {
      await this.caller.call('create', this.ref(t), (o) =>
        this.coordination.createNamespacedLease({ namespace: t.namespace, body }, o),
      );
    } else {
      await this.caller.call('update', this.ref(t), (o) =>
        this.coordination.replaceNamespacedLease({ name: this.leaseName, namespace: t.namespace, body }, o),
      );
    }
  }
}
