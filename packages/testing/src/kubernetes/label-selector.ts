import { KubeStatusError } from './kube-status.js';

type Requirement =
  | { readonly op: 'eq' | 'neq'; readonly key: string; readonly value: string }
  | { readonly op: 'in' | 'notin'; readonly key: string; readonly values: readonly string[] }
  | { readonly op: 'exists' | 'absent'; readonly key: string };

/** Splits on commas that are not inside parentheses (`a in (x,y),b=c`). */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

function parseRequirement(part: string): Requirement {
  const set = /^([^\s!=()]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part);
  if (set) {
    const values = set[3]!
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
    return { op: set[2] === 'in' ? 'in' : 'notin', key: set[1]!, values };
  }
  const neq = /^([^\s!=]+)\s*!=\s*([^\s!=]*)$/.exec(part);
  if (neq) return { op: 'neq', key: neq[1]!, value: neq[2]! };
  const eq = /^([^\s!=]+)\s*==?\s*([^\s!=]*)$/.exec(part);
  if (eq) return { op: 'eq', key: eq[1]!, value: eq[2]! };
  const absent = /^!\s*([^\s!=()]+)$/.exec(part);
  if (absent) return { op: 'absent', key: absent[1]! };
  if (/^[^\s!=()]+$/.test(part)) return { op: 'exists', key: part };
  throw KubeStatusError.badRequest(`unable to parse requirement: "${part}" in labelSelector`);
}

/** A parsed Kubernetes label selector string (the `labelSelector` query parameter). */
export class LabelSelector {
  private readonly requirements: readonly Requirement[];

  constructor(text: string) {
    this.requirements = splitTopLevel(text).map(parseRequirement);
  }

  matches(labels: Readonly<Record<string, string>> | undefined): boolean {
    const l = labels ?? {};
    return this.requirements.every((r) => {
      const has = Object.hasOwn(l, r.key);
      const v = l[r.key];
      switch (r.op) {
        case 'eq':
          return has && v === r.value;
        case 'neq':
          return !has || v !== r.value;
        case 'in':
          return has && r.values.includes(v!);
        case 'notin':
          return !has || !r.values.includes(v!);
        case 'exists':
          return has;
        case 'absent':
          return !has;
        default:
          return false;
      }
    });
  }
}
