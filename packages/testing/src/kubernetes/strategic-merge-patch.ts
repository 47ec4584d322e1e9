import { cloneJson, isJsonObject, type JsonObject, type JsonValue } from './patches.js';

/**
 * The patch merge keys of the lists our clients patch (from the Kubernetes API types' `patchMergeKey` tags):
 * a list under one of these field names is merged element by element on that key instead of replaced.
 */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  conditions: 'type',
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  readinessGates: 'conditionType',
  ownerReferences: 'uid',
};

function mergeList(current: JsonValue | undefined, patch: JsonValue[], key: string): JsonValue[] {
  const out: JsonValue[] = Array.isArray(current) ? cloneJson(current) : [];
  for (const item of patch) {
    if (!isJsonObject(item) || item[key] === undefined) {
      out.push(cloneJson(item));
      continue;
    }
    const at = out.findIndex((x) => isJsonObject(x) && x[key] === item[key]);
    if (item.$patch === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = applyStrategicMergePatch(out[at], item);
    else out.push(applyStrategicMergePatch(undefined, item));
  }
  return out;
}

/**
 * Kubernetes strategic merge patch, the subset our clients send: objects merge as in a JSON merge patch (null
 * deletes a key), lists with a known patch merge key (`status.conditions` by `type`, containers by `name`, ...)
 * merge element by element (`$patch: delete` removes one), other lists are replaced.
 */
export function applyStrategicMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const [k, value] of Object.entries(patch)) {
    if (k === '$patch') continue;
    if (value === null) delete out[k];
    else if (Array.isArray(value) && MERGE_KEYS[k] !== undefined) out[k] = mergeList(out[k], value, MERGE_KEYS[k]);
    else out[k] = applyStrategicMergePatch(out[k], value);
  }
  return out;
}
