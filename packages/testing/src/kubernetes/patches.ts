import { KubeStatusError } from './kube-status.js';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function cloneJson<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/** RFC 7386 JSON merge patch (also used for strategic merge patch: good enough for metadata and spec.replicas). */
export function applyMergePatch(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(patch)) return cloneJson(patch);
  const out: JsonObject = isJsonObject(target) ? cloneJson(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = applyMergePatch(out[key], value);
  }
  return out;
}

function decodePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw KubeStatusError.badRequest(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

interface Slot {
  readonly parent: JsonObject | JsonValue[];
  readonly key: string;
}

function resolveParent(doc: JsonValue, tokens: string[], pointer: string): Slot {
  let node: JsonValue = doc;
  for (const token of tokens.slice(0, -1)) {
    const next: JsonValue | undefined = Array.isArray(node)
      ? node[Number(token)]
      : isJsonObject(node)
        ? node[token]
        : undefined;
    if (next === undefined) throw KubeStatusError.badRequest(`jsonpatch: path "${pointer}" does not exist`);
    node = next;
  }
  if (!Array.isArray(node) && !isJsonObject(node))
    throw KubeStatusError.badRequest(`jsonpatch: path "${pointer}" does not exist`);
  return { parent: node, key: tokens[tokens.length - 1]! };
}

function getAt(doc: JsonValue, pointer: string): JsonValue | undefined {
  let node: JsonValue | undefined = doc;
  for (const token of decodePointer(pointer)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isJsonObject(node)) node = node[token];
    else return undefined;
  }
  return node;
}

/** RFC 6902 JSON patch: add, remove, replace, test, copy, move. */
export function applyJsonPatch(doc: JsonValue, ops: unknown): JsonValue {
  if (!Array.isArray(ops)) throw KubeStatusError.badRequest('json patch body must be an array of operations');
  let out = cloneJson(doc);
  for (const raw of ops) {
    if (!isJsonObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw KubeStatusError.badRequest(`invalid json patch operation ${JSON.stringify(raw)}`);
    }
    const { op, path } = raw;
    const tokens = decodePointer(path);
    if (op === 'test') {
      if (JSON.stringify(getAt(out, path)) !== JSON.stringify(raw.value)) {
        throw new KubeStatusError({
          kind: 'Status',
          apiVersion: 'v1',
          metadata: {},
          status: 'Failure',
          message: `the server rejected our request due to an error in our request: testing value ${path} failed`,
          reason: 'Invalid',
          code: 422,
        });
      }
      continue;
    }
    let value: JsonValue | undefined = raw.value;
    if (op === 'copy' || op === 'move') {
      if (typeof raw.from !== 'string') throw KubeStatusError.badRequest(`json patch ${op} needs "from"`);
      value = cloneJson(getAt(out, raw.from));
      if (value === undefined) throw KubeStatusError.badRequest(`jsonpatch: from "${raw.from}" does not exist`);
      if (op === 'move') out = applyJsonPatch(out, [{ op: 'remove', path: raw.from }]);
    }
    if (tokens.length === 0) {
      if (op === 'remove') throw KubeStatusError.badRequest('cannot remove the document root');
      out = cloneJson(value ?? null);
      continue;
    }
    const { parent, key } = resolveParent(out, tokens, path);
    if (op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (key in parent) delete parent[key];
      else throw KubeStatusError.badRequest(`jsonpatch remove: path "${path}" does not exist`);
    } else if (op === 'add' || op === 'copy' || op === 'move' || op === 'replace') {
      if (value === undefined) throw KubeStatusError.badRequest(`json patch ${op} at "${path}" needs "value"`);
      if (Array.isArray(parent)) {
        const idx = key === '-' ? parent.length : Number(key);
        if (op === 'replace') parent[idx] = value;
        else parent.splice(idx, 0, value);
      } else {
        if (op === 'replace' && !(key in parent)) {
          throw KubeStatusError.badRequest(`jsonpatch replace operation does not apply: doc is missing key: ${path}`);
        }
        parent[key] = value;
      }
    } else {
      throw KubeStatusError.badRequest(`unknown json patch op "${op}"`);
    }
  }
  return out;
}
