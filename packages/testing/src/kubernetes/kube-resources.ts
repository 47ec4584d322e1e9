/** A resource type the fake API server serves. All are namespaced. */
export interface KubeResourceType {
  /** '' for the core group. */
  readonly group: string;
  readonly version: string;
  /** Plural lowercase, as in the URL. */
  readonly resource: string;
  readonly kind: string;
}

export const RESOURCE_TYPES = {
  pods: { group: '', version: 'v1', resource: 'pods', kind: 'Pod' },
  events: { group: '', version: 'v1', resource: 'events', kind: 'Event' },
  deployments: { group: 'apps', version: 'v1', resource: 'deployments', kind: 'Deployment' },
  statefulsets: { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet' },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease' },
  eventsV1: { group: 'events.k8s.io', version: 'v1', resource: 'events', kind: 'Event' },
  horizontalPodAutoscalers: {
    group: 'autoscaling',
    version: 'v2',
    resource: 'horizontalpodautoscalers',
    kind: 'HorizontalPodAutoscaler',
  },
  /** KEDA's custom resource (served unless the test says the CRD is not installed). */
  scaledObjects: { group: 'keda.sh', version: 'v1alpha1', resource: 'scaledobjects', kind: 'ScaledObject' },
} as const satisfies Record<string, KubeResourceType>;

export function apiVersionOf(t: KubeResourceType): string {
  return t.group ? `${t.group}/${t.version}` : t.version;
}

export function typeKey(t: KubeResourceType): string {
  return `${t.group}/${t.resource}`;
}

/** Finds the resource type for a URL's group, version and plural name. */
export function findResourceType(group: string, version: string, resource: string): KubeResourceType | undefined {
  return Object.values(RESOURCE_TYPES).find(
    (t) => t.group === group && t.version === version && t.resource === resource,
  );
}

export function isWorkloadType(t: KubeResourceType): boolean {
  return t.group === 'apps' && (t.resource === 'deployments' || t.resource === 'statefulsets');
}

/** RFC 3339 with whole seconds, as the API server writes `metav1.Time`. */
export function kubeTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** `metav1.MicroTime` must have exactly six fractional digits (Go layout 2006-01-02T15:04:05.000000Z07:00). */
export const MICRO_TIME_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}(Z|[+-]\d{2}:\d{2})$/;
