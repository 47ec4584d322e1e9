import { KubeStatusError } from './kube-status.js';
import { LabelSelector } from './label-selector.js';
import { applyJsonPatch, applyMergePatch, cloneJson, isJsonObject, type JsonObject } from './patches.js';
import { apiVersionOf, kubeTime, MICRO_TIME_PATTERN, typeKey, type KubeResourceType } from './kube-resources.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

export interface StoreHooks {
  /** Called after an object of this type was created, replaced or patched (not deleted). */
  afterWrite?(type: KubeResourceType, obj: JsonObject): void;
}

function meta(obj: JsonObject): JsonObject {
  if (!isJsonObject(obj.metadata)) obj.metadata = {};
  return obj.metadata as JsonObject;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/**
 * The fake API server's object store: namespaced objects per resource type, a global
 * resourceVersion counter, optimistic concurrency (409 on a stale resourceVersion),
 * and the validation of the few fields real servers reject that our clients send.
 */
export class FakeKubeStore {
  private readonly objects = new Map<string, Map<string, JsonObject>>();
  private resourceVersion = 1000;
  private uidCounter = 0;
  private generateCounter = 0;
  private readonly nowMs: () => number;
  hooks: StoreHooks = {};

  constructor(nowMs: () => number) {
    this.nowMs = nowMs;
  }

  now(): number {
    return this.nowMs();
  }

  currentResourceVersion(): string {
    return String(this.resourceVersion);
  }

  private bucket(type: KubeResourceType): Map<string, JsonObject> {
    const key = typeKey(type);
    let b = this.objects.get(key);
    if (!b) {
      b = new Map();
      this.objects.set(key, b);
    }
    return b;
  }

  private nextRv(): string {
    this.resourceVersion += 1;
    return String(this.resourceVersion);
  }

  /** The stored object itself (mutable: only the fake's own controllers use this). */
  find(type: KubeResourceType, namespace: string, name: string): JsonObject | undefined {
    return this.bucket(type).get(`${namespace}/${name}`);
  }

  get(type: KubeResourceType, namespace: string, name: string): JsonObject {
    const obj = this.find(type, namespace, name);
    if (!obj) throw KubeStatusError.notFound(type.resource, name, type.group);
    return cloneJson(obj);
  }

  list(type: KubeResourceType, namespace: string | undefined, labelSelector?: string): JsonObject[] {
    const selector = labelSelector ? new LabelSelector(labelSelector) : undefined;
    const out: JsonObject[] = [];
    for (const obj of this.bucket(type).values()) {
      const m = meta(obj);
      if (namespace !== undefined && m.namespace !== namespace) continue;
      if (selector && !selector.matches(m.labels as Record<string, string> | undefined)) continue;
      out.push(cloneJson(obj));
    }
    return out.sort((a, b) => String(meta(a).name).localeCompare(String(meta(b).name)));
  }

  create(type: KubeResourceType, namespace: string, body: unknown): JsonObject {
    if (!isJsonObject(body))
      throw KubeStatusError.badRequest(`the body of a ${type.kind} create must be a JSON object`);
    const obj = cloneJson(body);
    const m = meta(obj);
    let name = str(m.name);
    if (!name && str(m.generateName)) {
      this.generateCounter += 1;
      name = `${m.generateName}${this.generateCounter.toString(36).padStart(5, '0')}`;
    }
    if (!name) throw KubeStatusError.invalid(type.kind, '', 'metadata.name', 'name or generateName is required');
    if (m.namespace !== undefined && m.namespace !== namespace) {
      throw KubeStatusError.badRequest(
        `the namespace of the provided object (${String(m.namespace)}) does not match the namespace sent on the request (${namespace})`,
      );
    }
    if (this.find(type, namespace, name)) throw KubeStatusError.alreadyExists(type.resource, name, type.group);
    this.uidCounter += 1;
    m.name = name;
    m.namespace = namespace;
    m.uid = `00000000-0000-4000-8000-${this.uidCounter.toString(16).padStart(12, '0')}`;
    m.creationTimestamp = kubeTime(this.nowMs());
    m.resourceVersion = this.nextRv();
    m.generation = 1;
    obj.apiVersion = apiVersionOf(type);
    obj.kind = type.kind;
    this.validate(type, obj);
    this.bucket(type).set(`${namespace}/${name}`, obj);
    this.hooks.afterWrite?.(type, obj);
    return cloneJson(obj);
  }

  /** PUT: a resourceVersion in the body must equal the stored one (else 409); none means unconditional. */
  replace(type: KubeResourceType, namespace: string, name: string, body: unknown): JsonObject {
    if (!isJsonObject(body))
      throw KubeStatusError.badRequest(`the body of a ${type.kind} update must be a JSON object`);
    const current = this.find(type, namespace, name);
    if (!current) throw KubeStatusError.notFound(type.resource, name, type.group);
    const next = cloneJson(body);
    const m = meta(next);
    if (m.name !== undefined && m.name !== name) {
      throw KubeStatusError.badRequest(
        `the name of the object (${String(m.name)}) does not match the name on the URL (${name})`,
      );
    }
    return this.commit(type, current, next);
  }

  /** PATCH with a merge, strategic-merge or JSON patch; a resourceVersion in the result acts as a precondition. */
  patch(type: KubeResourceType, namespace: string, name: string, contentType: string, patch: unknown): JsonObject {
    const current = this.find(type, namespace, name);
    if (!current) throw KubeStatusError.notFound(type.resource, name, type.group);
    const next = applyPatch(current, contentType, patch);
    return this.commit(type, current, next);
  }

  delete(type: KubeResourceType, namespace: string, name: string): JsonObject {
    const current = this.find(type, namespace, name);
    if (!current) throw KubeStatusError.notFound(type.resource, name, type.group);
    this.bucket(type).delete(`${namespace}/${name}`);
    this.resourceVersion += 1;
    return cloneJson(current);
  }

  /** Controller-side update of a stored object (status, pods): bumps resourceVersion, no precondition. */
  touch(type: KubeResourceType, obj: JsonObject): void {
    meta(obj).resourceVersion = this.nextRv();
    this.bucket(type).set(`${String(meta(obj).namespace)}/${String(meta(obj).name)}`, obj);
  }

  private commit(type: KubeResourceType, current: JsonObject, next: JsonObject): JsonObject {
    const cm = meta(current);
    const nm = meta(next);
    if (nm.resourceVersion !== undefined && nm.resourceVersion !== '' && nm.resourceVersion !== cm.resourceVersion) {
      throw KubeStatusError.conflict(type.resource, String(cm.name), type.group);
    }
    // Immutable and server-owned fields are kept from the stored object.
    for (const k of [
      'name',
      'namespace',
      'uid',
      'creationTimestamp',
      'ownerReferences',
      'deletionTimestamp',
    ] as const) {
      if (cm[k] !== undefined) nm[k] = cm[k]!;
    }
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    if (current.status !== undefined && type.resource !== 'leases') next.status = current.status;
    const specChanged = JSON.stringify(current.spec) !== JSON.stringify(next.spec);
    nm.generation = (typeof cm.generation === 'number' ? cm.generation : 1) + (specChanged ? 1 : 0);
    this.validate(type, next);
    nm.resourceVersion = this.nextRv();
    this.bucket(type).set(`${String(cm.namespace)}/${String(cm.name)}`, next);
    this.hooks.afterWrite?.(type, next);
    return cloneJson(next);
  }

  private validate(type: KubeResourceType, obj: JsonObject): void {
    const name = String(meta(obj).name);
    const spec = isJsonObject(obj.spec) ? obj.spec : undefined;
    if (type.resource === 'leases' && spec) {
      for (const field of ['acquireTime', 'renewTime'] as const) {
        const v = spec[field];
        if (v !== undefined && v !== null && (typeof v !== 'string' || !MICRO_TIME_PATTERN.test(v))) {
          // What a real API server answers to a millisecond timestamp in a MicroTime field.
          throw KubeStatusError.badRequest(
            `Lease in version "v1" cannot be handled as a Lease: parsing time ${JSON.stringify(v)} as "2006-01-02T15:04:05.000000Z07:00": cannot parse as MicroTime (spec.${field})`,
          );
        }
      }
      const d = spec.leaseDurationSeconds;
      if (d !== undefined && d !== null && (typeof d !== 'number' || !Number.isInteger(d) || d <= 0)) {
        throw KubeStatusError.invalid('Lease', name, 'spec.leaseDurationSeconds', 'must be greater than 0');
      }
    }
    if ((type.resource === 'deployments' || type.resource === 'statefulsets') && spec) {
      const r = spec.replicas;
      if (r !== undefined && (typeof r !== 'number' || !Number.isInteger(r) || r < 0)) {
        throw KubeStatusError.invalid(type.kind, name, 'spec.replicas', 'must be greater than or equal to 0');
      }
    }
    if (type.resource === 'events' && type.group === '') {
      const inv = obj.involvedObject;
      if (!isJsonObject(inv) || typeof inv.name !== 'string' || typeof inv.kind !== 'string') {
        throw KubeStatusError.invalid('Event', name, 'involvedObject', 'kind and name are required');
      }
      if (isJsonObject(inv) && inv.namespace !== undefined && inv.namespace !== meta(obj).namespace) {
        throw KubeStatusError.invalid('Event', name, 'involvedObject.namespace', 'does not match event.namespace');
      }
      if (
        obj.eventTime !== undefined &&
        obj.eventTime !== null &&
        (typeof obj.eventTime !== 'string' || !MICRO_TIME_PATTERN.test(obj.eventTime))
      ) {
        throw KubeStatusError.badRequest(
          `Event in version "v1" cannot be handled as a Event: parsing time ${JSON.stringify(obj.eventTime)} as MicroTime`,
        );
      }
    }
  }
}

/** Applies a PATCH body by its content type, as the API server does. */
export function applyPatch(current: JsonObject, contentType: string, patch: unknown): JsonObject {
  const ct = contentType.split(';')[0]!.trim().toLowerCase();
  let next: unknown;
  if (ct === 'application/json-patch+json') {
    next = applyJsonPatch(current, patch);
  } else if (ct === 'application/merge-patch+json') {
    if (!isJsonObject(patch)) throw KubeStatusError.badRequest('a merge patch body must be a JSON object');
    next = applyMergePatch(current, patch);
  } else if (ct === 'application/strategic-merge-patch+json') {
    if (!isJsonObject(patch)) throw KubeStatusError.badRequest('a strategic merge patch body must be a JSON object');
    next = applyStrategicMergePatch(current, patch);
  } else {
    throw new KubeStatusError({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json (got "${contentType}")`,
      reason: 'UnsupportedMediaType',
      code: 415,
    });
  }
  if (!isJsonObject(next)) throw KubeStatusError.badRequest('the patched object is not a JSON object');
  return next;
}
