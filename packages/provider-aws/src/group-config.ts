import { FieldReader, MODEL_NAME_PATTERN, ValidationError } from '@warmpool/domain';

export type WarmPoolState = 'Stopped' | 'Running' | 'Hibernated';
export type LifecycleDefaultResult = 'ABANDON' | 'CONTINUE';

/** The warm pool kept beside a group (PutWarmPool). */
export interface AwsWarmPoolConfig {
  /** Instances always kept in the pool. */
  readonly minSize: number;
  /** Instances in the group and the pool together; undefined: the group's MaxSize. */
  readonly maxGroupPreparedCapacity: number | undefined;
  readonly poolState: WarmPoolState;
  /** Return instances to the pool on scale-in instead of terminating them. */
  readonly reuseOnScaleIn: boolean;
}

/** The launching lifecycle hook instances wait on (Pending:Wait) until the warm-up agent completes it. */
export interface AwsLifecycleHookConfig {
  readonly name: string;
  readonly heartbeatTimeoutS: number;
  /** What AWS does when the heartbeat times out; ABANDON so a replica never serves cold. */
  readonly defaultResult: LifecycleDefaultResult;
}

export interface AwsGroupConfig {
  readonly groupName: string;
  /** Send SetDesiredCapacity with HonorCooldown. */
  readonly honorCooldown: boolean;
  readonly warmPool: AwsWarmPoolConfig | undefined;
  readonly lifecycleHook: AwsLifecycleHookConfig | undefined;
}

const GROUP_NAME = /^[\u0020-\uD7FF\uE000-\uFFFD]{1,255}$/;
const HOOK_NAME = /^[A-Za-z0-9\-_/]{1,255}$/;
const GROUP_KEYS = ['groupName', 'honorCooldown', 'warmPool', 'lifecycleHook'] as const;
const POOL_KEYS = ['minSize', 'maxGroupPreparedCapacity', 'poolState', 'reuseOnScaleIn'] as const;
const HOOK_KEYS = ['name', 'heartbeatTimeoutS', 'defaultResult'] as const;

function readGroup(r: FieldReader): AwsGroupConfig {
  r.rejectUnknown(GROUP_KEYS);
  const groupName = r.string('groupName', {
    pattern: GROUP_NAME,
    patternText: 'an Auto Scaling group name of 1-255 characters',
  });
  const honorCooldown = r.boolean('honorCooldown', false);
  let warmPool: AwsWarmPoolConfig | undefined;
  if (r.has('warmPool')) {
    const p = r.child('warmPool');
    p.rejectUnknown(POOL_KEYS);
    const minSize = p.number('minSize', { default: 0, min: 0, max: 10_000, integer: true });
    const maxPrepared = p.has('maxGroupPreparedCapacity')
      ? p.number('maxGroupPreparedCapacity', { min: minSize, max: 10_000, integer: true })
      : undefined;
    warmPool = {
      minSize,
      maxGroupPreparedCapacity: maxPrepared,
      poolState: p.oneOf<WarmPoolState>('poolState', ['Stopped', 'Running', 'Hibernated'], 'Stopped'),
      reuseOnScaleIn: p.boolean('reuseOnScaleIn', false),
    };
  }
  let lifecycleHook: AwsLifecycleHookConfig | undefined;
  if (r.has('lifecycleHook')) {
    const h = r.child('lifecycleHook');
    h.rejectUnknown(HOOK_KEYS);
    lifecycleHook = {
      name: h.string('name', {
        pattern: HOOK_NAME,
        patternText: 'a hook name of 1-255 characters: A-Z, a-z, 0-9, "-", "_", "/"',
      }),
      heartbeatTimeoutS: h.number('heartbeatTimeoutS', { default: 300, min: 30, max: 7200, integer: true }),
      defaultResult: h.oneOf<LifecycleDefaultResult>('defaultResult', ['ABANDON', 'CONTINUE'], 'ABANDON'),
    };
  }
  return { groupName, honorCooldown, warmPool, lifecycleHook };
}

/**
 * Reads `{ <model>: { groupName, honorCooldown?, warmPool?: {...}, lifecycleHook?: {...} } }`,
 * reporting every problem at once (key path, value, what is allowed).
 */
export function parseAwsGroups(
  input: unknown,
  source = 'AWS provider groups',
): Readonly<Record<string, AwsGroupConfig>> {
  const root = new FieldReader(input, 'groups');
  const out: Record<string, AwsGroupConfig> = {};
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    for (const model of Object.keys(input)) {
      if (!MODEL_NAME_PATTERN.test(model)) {
        root.issues.push({
          path: root.path(model),
          value: model,
          allowed: 'a model name: lowercase a-z, 0-9, "-", "_", ".", 1-63 characters',
        });
      }
      out[model] = readGroup(root.child(model));
    }
  }
  if (root.issues.length > 0) throw new ValidationError(root.issues, source);
  return out;
}
