import { readFileSync } from 'node:fs';
import type { CliArgs } from './cli-args.js';

export const REGISTRAR_KINDS = ['none', 'local', 'kubernetes', 'aws'] as const;
export type RegistrarKind = (typeof REGISTRAR_KINDS)[number];

interface Retries {
  /** Tries after the first on transient failures (unreachable, throttled, 5xx). */
  readonly retries: number;
  readonly retryDelayMs: number;
}

export type RegistrarArgs =
  | { readonly kind: 'none' }
  | (Retries & {
      readonly kind: 'local';
      readonly lbUrl: string;
      /** This replica's own credential, or the shared secret (from WARMPOOL_LB_TOKEN or --token-file, never argv). */
      readonly token: string;
      /** Period of the membership check once registered (re-registers when the load balancer lost the replica). */
      readonly membershipCheckMs: number;
    })
  | (Retries & {
      readonly kind: 'kubernetes';
      /** Absent: $KUBECONFIG when set, else the in-cluster service account. */
      readonly kubeconfigPath: string | undefined;
      readonly podName: string;
      readonly namespace: string;
    })
  | (Retries & {
      readonly kind: 'aws';
      readonly groupName: string;
      readonly hookName: string;
      /** Absent: read from the instance metadata service. */
      readonly instanceId: string | undefined;
      /** Absent: AWS_REGION / AWS_DEFAULT_REGION, else the instance metadata service. */
      readonly region: string | undefined;
      readonly awsEndpoint: string | undefined;
      readonly imdsEndpoint: string;
      readonly imdsTimeoutMs: number;
      /**
       * `imds`: read `autoscaling/target-lifecycle-state` at registration (warm pool or service; see
       * AwsWarmPoolRegistrar). `in-service`: assume a launch into service, never ask. Default `imds` unless
       * --instance-id is given.
       */
      readonly lifecycleState: 'imds' | 'in-service';
      /** Target-state polls while waiting in a warm pool (Running, Hibernated). */
      readonly warmPoolPollMs: number;
    });

export interface RegistrationArgs {
  readonly registrar: RegistrarArgs;
  /** Heartbeat period while loading and warming. */
  readonly heartbeatMs: number;
  /** After a failure: exit at once, or stay up (probes answer, /readyz 503 with the reason) until a signal. */
  readonly onFailure: 'exit' | 'stay';
}

/**
 * The load balancer token: `WARMPOOL_LB_TOKEN` or the first line of `--token-file FILE`, never the command line
 * (`--token T` is refused: every user of the machine can read argv in `ps`). Problems go to `args.issues`.
 */
export function readLbToken(args: CliArgs, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const onArgv = args.string('token');
  if (onArgv !== undefined) {
    args.issues.push({
      path: '--token',
      value: '(hidden)',
      allowed: 'no token on the command line (visible in ps): set WARMPOOL_LB_TOKEN or pass --token-file FILE',
    });
  }
  const file = args.string('token-file');
  if (file === undefined) return env['WARMPOOL_LB_TOKEN'] || undefined;
  try {
    const token = readFileSync(file, 'utf8').split(/\r?\n/)[0]!.trim();
    if (!token)
      args.issues.push({
        path: '--token-file',
        value: file,
        allowed: 'a file whose first line is the token (this one is empty)',
      });
    return token || undefined;
  } catch (e) {
    args.issues.push({
      path: '--token-file',
      value: file,
      allowed: `a readable file holding the token (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    });
    return undefined;
  }
}

/**
 * `--registrar local|kubernetes|aws|none` and its options; every problem goes to `args.issues`.
 * Default: `local` when `--lb` is given, else `none`. `env` is process.env in production.
 */
export function readRegistrationArgs(
  args: CliArgs,
  env: Readonly<Record<string, string | undefined>>,
): RegistrationArgs {
  const lbUrl = args.string('lb');
  const kind = args.choice('registrar', REGISTRAR_KINDS, lbUrl ? 'local' : 'none');
  const retries = args.int('register-retries', 5, 0, 1000);
  const retryDelayMs = args.int('register-retry-delay-ms', 500, 0, 600_000);
  const heartbeatS = args.number('heartbeat-s', kind === 'aws' ? 60 : 10, 0, 7200);
  const onFailure = args.choice('on-failure', ['exit', 'stay'] as const, 'exit');
  const token = readLbToken(args, env);
  const kubeconfigPath = args.string('kubeconfig');
  const podName = args.string('pod', env['POD_NAME']);
  const namespace = args.string('namespace', env['POD_NAMESPACE']);
  const groupName = args.string('asg');
  const hookName = args.string('lifecycle-hook');
  const instanceId = args.string('instance-id');
  const region = args.string('region', env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION']);
  const awsEndpoint = args.string('aws-endpoint');
  const imdsEndpoint = args.string(
    'imds-endpoint',
    env['AWS_EC2_METADATA_SERVICE_ENDPOINT'] ?? 'http://169.254.169.254',
  )!;
  const imdsTimeoutMs = args.int('imds-timeout-ms', 2_000, 1, 60_000);
  const lifecycleState = args.choice(
    'lifecycle-state',
    ['imds', 'in-service'] as const,
    instanceId === undefined ? 'imds' : 'in-service',
  );
  const warmPoolPollMs = args.int('warm-pool-poll-ms', 5_000, 10, 600_000);
  const need = (value: string | undefined, path: string, allowed: string): string => {
    if (!value) args.issues.push({ path, value, allowed });
    return value ?? '';
  };
  const only = (kinds: readonly RegistrarKind[], present: Record<string, unknown>): void => {
    if (kinds.includes(kind)) return;
    for (const [flag, v] of Object.entries(present)) {
      if (v !== undefined)
        args.issues.push({
          path: `--${flag}`,
          value: v,
          allowed: `only with --registrar ${kinds.join('|')} (this is --registrar ${kind})`,
        });
    }
  };
  only(['local'], { lb: lbUrl });
  only(['kubernetes'], { kubeconfig: kubeconfigPath });
  only(['aws'], {
    asg: groupName,
    'lifecycle-hook': hookName,
    'instance-id': instanceId,
    'aws-endpoint': awsEndpoint,
    'lifecycle-state': args.string('lifecycle-state'),
  });
  const heartbeatMs = Math.round(heartbeatS * 1000);
  const common = { heartbeatMs, onFailure };
  switch (kind) {
    case 'none':
      return { registrar: { kind }, ...common };
    case 'local':
      return {
        registrar: {
          kind,
          lbUrl: need(lbUrl, '--lb', 'the local load balancer URL, e.g. http://127.0.0.1:8080, with --registrar local'),
          token: need(
            token,
            'WARMPOOL_LB_TOKEN',
            "this replica's load balancer credential in WARMPOOL_LB_TOKEN or --token-file FILE, with --registrar local",
          ),
          membershipCheckMs: heartbeatMs,
          retries,
          retryDelayMs,
        },
        ...common,
      };
    case 'kubernetes':
      return {
        registrar: {
          kind,
          kubeconfigPath,
          podName: need(
            podName,
            '--pod',
            "this pod's name: --pod or POD_NAME from the downward API (fieldRef metadata.name)",
          ),
          namespace: need(
            namespace,
            '--namespace',
            "this pod's namespace: --namespace or POD_NAMESPACE from the downward API (fieldRef metadata.namespace)",
          ),
          retries,
          retryDelayMs,
        },
        ...common,
      };
    case 'aws':
      return {
        registrar: {
          kind,
          groupName: need(groupName, '--asg', 'the Auto Scaling group name this instance belongs to'),
          hookName: need(
            hookName,
            '--lifecycle-hook',
            'the launching lifecycle hook name that holds this instance in Pending:Wait',
          ),
          instanceId,
          region,
          awsEndpoint,
          imdsEndpoint,
          imdsTimeoutMs,
          lifecycleState,
          warmPoolPollMs,
          retries,
          retryDelayMs,
        },
        ...common,
      };
  }
}
