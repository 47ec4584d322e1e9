import { FieldReader, ValidationError } from '@warmpool/domain';

export type WorkloadKind = 'Deployment' | 'StatefulSet';

/** Where one model's replicas live in a cluster. */
export interface KubernetesTarget {
  readonly namespace: string;
  readonly kind: WorkloadKind;
  readonly name: string;
  /** Label selector of the model's pods, e.g. `app=llama,tier=gpu`. */
  readonly podSelector: string;
  /**
   * When true a Ready pod counts as `ready` only once it also carries `warmpool.io/warm=true`
   * (set by the warm-up agent); otherwise the readiness probe on /readyz decides alone.
   */
  readonly requireWarmLabel: boolean;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const SELECTOR = /^[^\s,]+(\s*,\s*[^\s,]+)*$/;

export const KUBERNETES_TARGET_KEYS = ['namespace', 'kind', 'name', 'podSelector', 'requireWarmLabel'] as const;

/** Reads one target from untyped config, collecting every problem into the reader. */
export function readKubernetesTarget(reader: FieldReader): KubernetesTarget {
  reader.rejectUnknown(KUBERNETES_TARGET_KEYS);
  return {
    namespace: reader.string('namespace', {
      default: 'default',
      pattern: DNS_LABEL,
      patternText: 'a namespace name (DNS label: a-z, 0-9, "-", at most 63)',
    }),
    kind: reader.oneOf<WorkloadKind>('kind', ['Deployment', 'StatefulSet'], 'Deployment'),
    name: reader.string('name', {
      pattern: DNS_SUBDOMAIN,
      patternText: 'a workload name (DNS subdomain: a-z, 0-9, "-", ".")',
    }),
    podSelector: reader.string('podSelector', {
      pattern: SELECTOR,
      patternText: 'a label selector such as "app=llama,tier=gpu"',
    }),
    requireWarmLabel: reader.boolean('requireWarmLabel', false),
  };
}

/** Validates `{ model: target }` config; throws one ValidationError naming every bad key. */
export function parseKubernetesTargets(input: unknown, source?: string): ReadonlyMap<string, KubernetesTarget> {
  const root = new FieldReader(input, 'targets');
  const out = new Map<string, KubernetesTarget>();
  const obj =
    input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {};
  for (const model of Object.keys(obj)) out.set(model, readKubernetesTarget(root.child(model)));
  if (root.issues.length > 0) throw new ValidationError(root.issues, source);
  return out;
}
