import { LoadBalancerServer } from '@warmpool/load-balancer';
import type { DaemonEventRecord } from '../daemon/daemon-record.js';
import type { PoolEvent } from './world-summary.js';

/**
 * The world's load balancer on 127.0.0.1 for one model: every replica joining or leaving it is pushed onto `pool`
 * and told on `worldLog` (a replica taken out after failed checks comes back by itself once ready).
 */
export function createWorldLoadBalancer(
  model: string,
  token: string,
  pool: PoolEvent[],
  worldLog: { write(r: DaemonEventRecord): void },
): LoadBalancerServer {
  const iso = (): string => new Date().toISOString();
  return new LoadBalancerServer({
    token,
    models: [model],
    pool: { slowStartMs: 0 },
    health: { intervalMs: 500 },
    log: (e) => {
      const id = typeof e['replicaId'] === 'string' ? e['replicaId'] : undefined;
      if (!id) return;
      // A replica taken out after failed checks comes back by itself once ready (replica-restored).
      const joined = e['event'] === 'replica-registered' || e['event'] === 'replica-restored';
      if (!joined && e['event'] !== 'replica-deregistered' && e['event'] !== 'replica-removed') return;
      pool.push({ atMs: Date.now(), replicaId: id, joined });
      worldLog.write({
        kind: 'daemon',
        time: iso(),
        model,
        event: String(e['event']),
        message:
          e['event'] === 'replica-restored'
            ? `${id} ready again (back in the load balancer)`
            : joined
              ? `${id} warm and serving (registered with the load balancer)`
              : `${id} left the load balancer`,
      });
    },
  });
}
