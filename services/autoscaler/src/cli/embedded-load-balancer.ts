import { randomBytes } from 'node:crypto';
import { WarmpoolError } from '@warmpool/domain';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import type { WarmpoolConfig } from '../config/warmpool-config.js';

/** The load balancer `run` started for `provider.startLoadBalancer: true`, and the token its replicas register with. */
export interface EmbeddedLoadBalancer {
  readonly url: string;
  readonly token: string;
  /** True when the token was generated here (no WARMPOOL_LB_TOKEN in the environment). */
  readonly generated: boolean;
  close(): Promise<void>;
}

/**
 * Starts the local load balancer on `provider.loadBalancerUrl`'s host and port (the one `warmpool-agent lb` runs),
 * so the local example runs with one command. Token: WARMPOOL_LB_TOKEN, else 32 random hex characters.
 * Undefined when the config does not ask for it.
 */
export async function startEmbeddedLoadBalancer(
  config: WarmpoolConfig,
  env: Readonly<Record<string, string | undefined>>,
  /** Its events (replicas registered, taken out, restored), e.g. the one logger's eventLogger. */
  log?: (event: Record<string, unknown>) => void,
): Promise<EmbeddedLoadBalancer | undefined> {
  const p = config.provider;
  if (p.kind !== 'local' || !p.startLoadBalancer) return undefined;
  const url = new URL(p.loadBalancerUrl);
  if (url.protocol !== 'http:')
    throw new WarmpoolError(
      'E_CONFIG',
      `${config.source}: provider.startLoadBalancer serves plain http; provider.loadBalancerUrl is ${p.loadBalancerUrl}`,
    );
  const fromEnv = env.WARMPOOL_LB_TOKEN;
  const token = fromEnv !== undefined && fromEnv !== '' ? fromEnv : randomBytes(16).toString('hex');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = url.port === '' ? 80 : Number(url.port);
  // The configured models are served from the start: their demand counts before a replica registers (scale from zero).
  const lb = new LoadBalancerServer({
    token,
    host,
    port,
    models: config.models.map((m) => m.spec.name),
    ...(log ? { log } : {}),
  });
  try {
    const { url: listening } = await lb.listen();
    return { url: listening, token, generated: token !== fromEnv, close: () => lb.close() };
  } catch (err) {
    await lb.close().catch(() => undefined);
    const why = err instanceof Error && 'code' in err ? String((err as NodeJS.ErrnoException).code) : String(err);
    throw new WarmpoolError(
      'E_CONFIG',
      `${config.source}: provider.startLoadBalancer: cannot listen on ${host}:${port} (${why}); stop what uses it or change provider.loadBalancerUrl`,
      { cause: err },
    );
  }
}
