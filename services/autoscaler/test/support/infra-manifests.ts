import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const INFRA = resolve(import.meta.dirname, '../../../../infra');

export type K8sObject = { kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };

/** What `kubectl kustomize DIR` renders (a kustomization under infra/), as YAML text; bounded to 60 s. */
export function kustomize(rel: string): string {
  return execFileSync('kubectl', ['kustomize', resolve(INFRA, rel)], {
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 16 * 2 ** 20,
  });
}

/**
 * Every document of a multi-document manifest, or of what a kustomization folder renders (`kubectl kustomize`);
 * YAML errors fail with file:line.
 */
export function manifests(rel: string): K8sObject[] {
  const file = resolve(INFRA, rel);
  const text = statSync(file).isDirectory() ? kustomize(rel) : readFileSync(file, 'utf8');
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error(`${file}: empty`);
  return docs.map((d, i) => {
    if (d.errors.length > 0) throw new Error(`${file} document ${i}: ${d.errors[0]!.message}`);
    return d.toJS() as K8sObject;
  });
}

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** `namespace|apiGroup|resource|verb` for every permission the Roles bound to a ServiceAccount grant. */
export function grantedTo(objects: readonly K8sObject[], serviceAccount: string): Set<string> {
  const out = new Set<string>();
  for (const b of objects.filter((o) => o.kind === 'RoleBinding' || o.kind === 'ClusterRoleBinding')) {
    const subjects = (b.subjects as { kind: string; name: string }[]) ?? [];
    if (!subjects.some((s) => s.kind === 'ServiceAccount' && s.name === serviceAccount)) continue;
    const ref = b.roleRef as { kind: string; name: string };
    const role = objects.find(
      (o) =>
        o.kind === ref.kind &&
        o.metadata.name === ref.name &&
        (ref.kind === 'ClusterRole' || o.metadata.namespace === b.metadata.namespace),
    );
    if (!role) throw new Error(`${b.kind} ${b.metadata.name} points at a missing ${ref.kind} ${ref.name}`);
    const ns = b.kind === 'ClusterRoleBinding' ? '*' : b.metadata.namespace!;
    for (const r of role.rules as Rule[])
      for (const g of r.apiGroups)
        for (const res of r.resources) for (const v of r.verbs) out.add(`${ns}|${g}|${res}|${v}`);
  }
  return out;
}

/** The permission a Kubernetes API request needs, as `namespace|apiGroup|resource|verb`. */
export function permissionOf(method: string, path: string): string | undefined {
  const core = /^\/api\/v1\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(path);
  const named = /^\/apis\/([^/]+)\/[^/]+\/namespaces\/([^/]+)\/([a-z]+)(?:\/([^/]+))?(?:\/([a-z]+))?$/.exec(path);
  let group: string;
  let ns: string;
  let resource: string;
  let name: string | undefined;
  let sub: string | undefined;
  if (core) {
    [, ns, resource, name, sub] = core as unknown as [string, string, string, string | undefined, string | undefined];
    group = '';
  } else if (named)
    [, group, ns, resource, name, sub] = named as unknown as [
      string,
      string,
      string,
      string,
      string | undefined,
      string | undefined,
    ];
  else return undefined;
  const verb =
    method === 'GET'
      ? name
        ? 'get'
        : 'list'
      : method === 'POST'
        ? 'create'
        : method === 'PUT'
          ? 'update'
          : method === 'PATCH'
            ? 'patch'
            : method === 'DELETE'
              ? 'delete'
              : method.toLowerCase();
  return `${ns}|${group}|${sub ? `${resource}/${sub}` : resource}|${verb}`;
}
