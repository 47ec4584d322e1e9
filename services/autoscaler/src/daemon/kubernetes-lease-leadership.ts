import type { KubernetesLeaseElector } from '@warmpool/provider-kubernetes';
import { WarmpoolError } from '@warmpool/domain';
import type { Leadership } from './leadership.js';

/**
 * Leadership through a coordination.k8s.io Lease. The elector's callbacks are wired when it is built
 * (see buildDaemon); this adapter starts, asks and releases.
 */
export class KubernetesLeaseLeadership implements Leadership {
  readonly kind = 'kubernetes-lease';

  constructor(
    private readonly elector: KubernetesLeaseElector,
    readonly identity: string,
  ) {}

  readonly fencingToken = undefined;

  isLeader(): boolean {
    return this.elector.isLeader;
  }

  /** The elector's view (renewed within the renew deadline, resourceVersion-checked writes): leads or throws. */
  async fence(): Promise<void> {
    if (!this.elector.isLeader)
      throw Object.assign(
        new WarmpoolError('E_FENCED_OFF', `${this.identity} no longer holds the Lease; it may not act`),
        { retryable: false },
      );
  }

  /** The last election step reached the API server (its error otherwise). */
  async ping(): Promise<void> {
    const err = this.elector.lastError;
    if (err !== undefined) throw err instanceof Error ? err : new WarmpoolError('E_LEASE_UNREACHABLE', String(err));
  }

  start(): void {
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.elector.stop();
  }
}
