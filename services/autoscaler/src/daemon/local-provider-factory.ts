import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { WarmpoolError, type ReplicaProvider } from '@warmpool/domain';
import { LocalProcessProvider } from '@warmpool/provider-local';
import type { WarmpoolConfig } from '../config/warmpool-config.js';

/** `services/warmup-agent/bin/warmpool-agent.js` of this checkout (the agent is a service: run, never imported). */
export const DEFAULT_AGENT_BIN = resolve(
  fileURLToPath(new URL('.', import.meta.url)),
  '../../../warmup-agent/bin/warmpool-agent.js',
);

/** The model's warm-up spec goes to the agent as `--spec FILE` unless its args already name one. */
function withSpec(args: readonly string[], spec: string | undefined): readonly string[] {
  if (spec === undefined || args.some((a) => a === '--spec' || a.startsWith('--spec='))) return args;
  return [...args, '--spec', spec];
}

/**
 * The local world's provider for `provider.kind: local`: each replica a `warmpool-agent serve` process that
 * registers with the local load balancer once warm. The registration token comes from `WARMPOOL_LB_TOKEN`.
 */
export function createLocalProcessProvider(
  config: WarmpoolConfig,
  env: Readonly<Record<string, string | undefined>>,
  log?: (event: Record<string, unknown>) => void,
): ReplicaProvider {
  if (config.provider.kind !== 'local')
    throw new WarmpoolError('E_CONFIG', 'the local provider asked for without provider.kind local');
  const token = env.WARMPOOL_LB_TOKEN;
  if (!token) {
    throw new WarmpoolError(
      'E_CONFIG',
      `${config.source}: provider.kind local needs WARMPOOL_LB_TOKEN in the environment (the load balancer's registration token)`,
    );
  }
  const p = config.provider;
  return new LocalProcessProvider({
    agentBinPath: p.agentBinPath ?? DEFAULT_AGENT_BIN,
    runDir: p.runDir,
    models: config.models.flatMap((m) =>
      m.target.kind === 'local'
        ? [
            {
              model: m.spec.name,
              modelSource: m.target.local.modelFile,
              agentArgs: withSpec(m.target.local.args, m.warmupSpec),
              lbUrl: p.loadBalancerUrl,
              lbToken: token,
              provisionDelayMs: m.target.local.provisionDelayMs,
              maxReplicas: m.spec.maxReplicas,
            },
          ]
        : [],
    ),
    ...(log ? { log } : {}),
  });
}
