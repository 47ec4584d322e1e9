import { existsSync } from 'node:fs';
import { WarmpoolError, type Registrar } from '@warmpool/domain';
import { LocalRegistrar } from '@warmpool/load-balancer';
import { AwsLifecycleRegistrar } from '@warmpool/provider-aws';
import { KubernetesRegistrar, loadKubeConfig } from '@warmpool/provider-kubernetes';
import { AwsWarmPoolRegistrar, type QuickPassReplica } from './aws-warm-pool-registrar.js';
import { InstanceMetadataClient } from './instance-metadata-client.js';
import { MembershipKeeper } from './membership-keeper.js';
import type { RegistrarArgs } from './registrar-args.js';

export interface BuiltRegistrar {
  readonly registrar: Registrar | undefined;
  /** See ReplicaAgentOptions.readyWhen. */
  readonly readyWhen: 'warm' | 'registered';
  /** The replica id this world knows the replica by (pod name, instance id), if any. */
  readonly replicaId: string | undefined;
  /** Where it registers, for the log. */
  readonly where: string | undefined;
  close(): Promise<void>;
  /** AWS with the target lifecycle state: the replica its quick warmth re-check runs on, and where it logs. */
  attach?(replica: QuickPassReplica, log: (event: Record<string, unknown>) => void): void;
  /** Ends a wait the registrar may be in (the warm pool) before the agent shuts down. */
  interrupt?(): void;
}

export const SERVICE_ACCOUNT_TOKEN_PATH = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The client would otherwise build https://undefined:undefined and fail only after the warm-up. */
function checkInCluster(env: Readonly<Record<string, string | undefined>>): void {
  const missing = ['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'].filter((k) => !env[k]);
  if (!existsSync(SERVICE_ACCOUNT_TOKEN_PATH)) missing.push(SERVICE_ACCOUNT_TOKEN_PATH);
  if (missing.length > 0) {
    throw new WarmpoolError(
      'E_K8S_CONFIG',
      `cannot use the in-cluster service account: ${missing.join(', ')} missing (not in a pod? pass --kubeconfig FILE or set KUBECONFIG)`,
    );
  }
}

const nothingToClose = async (): Promise<void> => {};

/**
 * Builds the registrar chosen on the command line. The local one keeps its replica registered after registration
 * (MembershipKeeper: a heartbeat that registers again when the load balancer lost it; events go to `log`). Throws a typed error naming the source when the
 * world cannot be reached before warm-up even starts (bad kubeconfig, no instance metadata).
 */
export async function buildRegistrar(
  args: RegistrarArgs,
  env: Readonly<Record<string, string | undefined>>,
  log: (event: Record<string, unknown>) => void = () => {},
): Promise<BuiltRegistrar> {
  switch (args.kind) {
    case 'none':
      return { registrar: undefined, readyWhen: 'warm', replicaId: undefined, where: undefined, close: nothingToClose };
    case 'local': {
      const local = new LocalRegistrar({
        lbUrl: args.lbUrl,
        token: args.token,
        retries: args.retries,
        retryDelayMs: args.retryDelayMs,
        onMembership: (check, reg) => {
          if (check === 're-registered')
            log({
              event: 're-registered',
              registrar: 'local',
              replicaId: reg.replicaId,
              reason: 'the load balancer no longer listed this replica',
            });
        },
      });
      const keeper = new MembershipKeeper({
        registrar: local,
        intervalMs: args.membershipCheckMs,
        onFailure: (f) =>
          log({
            event: 'membership-check-failed',
            registrar: 'local',
            error: f.code,
            transient: f.transient,
            reason: f.message,
          }),
      });
      return {
        registrar: keeper,
        readyWhen: 'warm', // the load balancer probes /readyz before it accepts the registration
        replicaId: undefined,
        where: args.lbUrl,
        close: () => keeper.close(),
      };
    }
    case 'kubernetes': {
      const kubeconfigPath = args.kubeconfigPath;
      let kubeConfig: ReturnType<typeof loadKubeConfig>;
      if (kubeconfigPath !== undefined) kubeConfig = loadKubeConfig({ kubeconfigPath });
      else if (env['KUBECONFIG']) kubeConfig = loadKubeConfig({});
      else {
        checkInCluster(env);
        kubeConfig = loadKubeConfig({ inCluster: true });
      }
      const registrar = new KubernetesRegistrar({
        kubeConfig,
        namespace: args.namespace,
        podName: args.podName,
        retry: {
          maxAttempts: args.retries + 1,
          baseDelayMs: Math.max(1, args.retryDelayMs),
          maxDelayMs: Math.max(args.retryDelayMs * 8, 1),
        },
      });
      return {
        registrar,
        readyWhen: 'registered',
        replicaId: args.podName,
        where: `pod ${args.namespace}/${args.podName} on ${kubeConfig.getCurrentCluster()?.server ?? 'unknown server'}`,
        close: nothingToClose,
      };
    }
    case 'aws': {
      const needImds = args.instanceId === undefined || args.region === undefined || args.lifecycleState === 'imds';
      const imds = needImds
        ? new InstanceMetadataClient({ endpoint: args.imdsEndpoint, timeoutMs: args.imdsTimeoutMs })
        : undefined;
      const instanceId = args.instanceId ?? (await imds!.instanceId());
      const region = args.region ?? (await imds!.region());
      const lifecycle = new AwsLifecycleRegistrar({
        groupName: args.groupName,
        hookName: args.hookName,
        instanceId,
        clientOptions: { region, ...(args.awsEndpoint !== undefined ? { endpoint: args.awsEndpoint } : {}) },
        retry: {
          maxAttempts: args.retries + 1,
          baseDelayMs: args.retryDelayMs,
          maxDelayMs: Math.max(args.retryDelayMs * 8, 1),
        },
      });
      // Warm pool or service: where Auto Scaling takes the instance decides what completing the hook means.
      let eventLog: (event: Record<string, unknown>) => void = () => {};
      const registrar =
        args.lifecycleState === 'imds'
          ? new AwsWarmPoolRegistrar({
              inner: lifecycle,
              targetState: () => imds!.targetLifecycleState(),
              pollMs: args.warmPoolPollMs,
              log: (e) => eventLog(e),
            })
          : lifecycle;
      return {
        registrar,
        ...(registrar instanceof AwsWarmPoolRegistrar
          ? {
              attach: (replica: QuickPassReplica, log: (event: Record<string, unknown>) => void) => {
                registrar.attach(replica);
                eventLog = log;
              },
              interrupt: () => registrar.interrupt(),
            }
          : {}),
        readyWhen: 'registered',
        replicaId: instanceId,
        where: `lifecycle hook ${args.hookName} of Auto Scaling group ${args.groupName} (${region}${args.awsEndpoint ? `, ${args.awsEndpoint}` : ''})`,
        close: () => registrar.close(),
      };
    }
  }
}
