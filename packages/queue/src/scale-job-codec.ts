import {
  FieldReader,
  ValidationError,
  type ReplicaReplacement,
  type ScaleJob,
  type ValidationIssue,
} from '@warmpool/domain';

const JOB_KEYS = ['id', 'request', 'runAtMs'] as const;
const REQUEST_KEYS = ['model', 'replicas', 'idempotencyKey', 'reason', 'message', 'replace'] as const;
/** Replicas one job may ask to replace (the daemon caps replacements per window far below this). */
const MAX_REPLACE = 1_000;

/** `replace`: absent, or a list of `{ id, reason }` (non-empty strings); problems go to `issues`. */
function readReplace(raw: unknown, path: string, issues: ValidationIssue[]): ReplicaReplacement[] | undefined {
  if (raw === undefined) return undefined;
  const ok = (x: unknown): x is ReplicaReplacement =>
    typeof x === 'object' &&
    x !== null &&
    typeof (x as ReplicaReplacement).id === 'string' &&
    (x as ReplicaReplacement).id.length > 0 &&
    typeof (x as ReplicaReplacement).reason === 'string';
  if (!Array.isArray(raw) || raw.length > MAX_REPLACE || !raw.every(ok)) {
    issues.push({
      path,
      value: Array.isArray(raw) ? `[${raw.length} entries]` : raw,
      allowed: `a list of at most ${MAX_REPLACE} { id, reason } (non-empty id, string reason)`,
    });
    return undefined;
  }
  return raw.map((x) => ({ id: x.id, reason: x.reason }));
}

/** Reads a scale job from untyped input, collecting every problem; returns the issues instead of throwing. */
export function readScaleJob(input: unknown, prefix = 'job'): { job: ScaleJob; issues: ValidationError['issues'] } {
  const r = new FieldReader(input, prefix);
  r.rejectUnknown(JOB_KEYS);
  const id = r.string('id');
  const runAtMs = r.number('runAtMs', { min: 0 });
  const q = r.child('request');
  if (!r.has('request'))
    r.issues.push({ path: r.path('request'), value: undefined, allowed: 'a scale request object' });
  q.rejectUnknown(REQUEST_KEYS);
  const model = q.string('model');
  const replicas = q.number('replicas', { min: 0, integer: true });
  const idempotencyKey = q.string('idempotencyKey');
  const reason = q.string('reason');
  const message = typeof q.raw('message') === 'string' ? (q.raw('message') as string) : q.string('message');
  const replace = readReplace(q.raw('replace'), q.path('replace'), r.issues);
  return {
    job: {
      id,
      runAtMs,
      request: { model, replicas, idempotencyKey, reason, message, ...(replace ? { replace } : {}) },
    },
    issues: r.issues,
  };
}

/** Checks a job before it is queued: a bad job is the caller's bug and gets a {@link ValidationError} naming each field. */
export function validateScaleJob(input: unknown, source = 'scale job'): ScaleJob {
  const { job, issues } = readScaleJob(input);
  if (issues.length > 0) throw new ValidationError(issues, source);
  return job;
}

/** What a durable queue stores per job: the job itself, and a token unique to one enqueue call (to tell a duplicate). */
export interface StoredScaleJob {
  readonly v: 1;
  readonly job: ScaleJob;
  readonly enqueueToken: string;
}

/**
 * BullMQ job id for a scale job id. BullMQ rejects integer-looking ids and ids with `:`, so the id is
 * percent-encoded behind a fixed prefix; the mapping is one-to-one, so the same scale job id is the same BullMQ id.
 */
export function bullJobIdFor(scaleJobId: string): string {
  return `scale.${encodeURIComponent(scaleJobId)}`;
}
