import type { KubernetesLeaseElector } from '@warmpool/provider-kubernetes';
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

  isLeader(): boolean {
    return this.elector.isLeader;
  }

  start(): void {
    this.elector.start();
  }

  async stop(): Promise<void> {
    await this.elector.stop();
  }
}
