import type { Registrar, ReplicaRegistration } from '@warmpool/domain';
import { HeartbeatLoop } from './heartbeat-loop.js';
import type { RegistrarFailure } from './registrar-failure.js';

export interface MembershipKeeperOptions {
  /** The registrar whose `heartbeat` checks membership once registered (LocalRegistrar). */
  readonly registrar: Registrar;
  /** Period of the heartbeat after registration. */
  readonly intervalMs: number;
  /** Every failed heartbeat after registration (the loop goes on after transient ones). */
  readonly onFailure: (failure: RegistrarFailure) => void;
}

/**
 * Keeps a registered replica registered: after `register` succeeds it runs the registrar's heartbeat every
 * `intervalMs` (the local registrar's heartbeat checks the load balancer still has the replica and registers it again
 * when not), until `deregister`, `fail` or `close`. Otherwise it is the registrar it wraps.
 */
export class MembershipKeeper implements Registrar {
  readonly name: string;
  private loop: HeartbeatLoop | undefined;

  constructor(private readonly opts: MembershipKeeperOptions) {
    this.name = opts.registrar.name;
  }

  heartbeat(registration: ReplicaRegistration): Promise<void> {
    return this.opts.registrar.heartbeat(registration);
  }

  async register(registration: ReplicaRegistration): Promise<void> {
    await this.opts.registrar.register(registration);
    await this.close();
    // Never fatal: a re-registration refused now (the replica not ready for a while) may succeed at a later beat.
    const loop = new HeartbeatLoop({
      registrar: this.opts.registrar,
      registration,
      intervalMs: this.opts.intervalMs,
      onFailure: this.opts.onFailure,
      neverFatal: true,
    });
    this.loop = loop;
    // The first beat one interval from now: the registration itself just confirmed membership.
    loop.startAfter(this.opts.intervalMs);
  }

  async fail(registration: ReplicaRegistration, reason: string): Promise<void> {
    await this.close();
    await this.opts.registrar.fail(registration, reason);
  }

  async deregister(registration: ReplicaRegistration): Promise<void> {
    await this.close();
    await this.opts.registrar.deregister(registration);
  }

  /** Stops the membership heartbeat (waits for one in flight). */
  async close(): Promise<void> {
    const loop = this.loop;
    this.loop = undefined;
    await loop?.stop();
  }

  /** Heartbeats sent since registration (tests). */
  get beats(): number {
    return this.loop?.beats ?? 0;
  }
}
