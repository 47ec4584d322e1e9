import { WarmpoolError, type Registrar, type ReplicaRegistration } from '@warmpool/domain';
import type { QuickPassReplica } from './aws-warm-pool-registrar.js';

/** The signal that promotes a standby (`kill -USR2 <pid>`; the local provider sends it). */
export const PROMOTE_SIGNAL = 'SIGUSR2';

export interface StandbyRegistrarOptions {
  /** Where the replica registers once promoted (the local load balancer's registrar). */
  readonly inner: Registrar;
  /** The warm replica: the quick pass runs its warm targets again; `open()` lets /readyz turn 200 before registering. */
  readonly replica: QuickPassReplica & { open(): void };
  readonly log: (event: Record<string, unknown>) => void;
  /** Resolves when the replica is promoted. Default: the process receives SIGUSR2 (a handler installed now). */
  readonly promoted?: Promise<void>;
}

/** Resolves on the first SIGUSR2 this process receives; the handler is installed at once (before the model loads). */
export function untilPromoteSignal(): { readonly promoted: Promise<void>; dispose(): void } {
  let on!: () => void;
  const promoted = new Promise<void>((resolve) => {
    on = () => resolve();
    process.once(PROMOTE_SIGNAL, on);
  });
  return { promoted, dispose: () => process.off(PROMOTE_SIGNAL, on) };
}

/**
 * `warmpool-agent serve --standby`: a host-tier standby. The agent loads and warms as usual, but its registration waits
 * (logged `standby`; /readyz stays 503 "standby") until it is promoted; then a quick pass (one inference per warm
 * target: the session is still warm) and the real registration (logged `promoted` with the pass's time). A promotion
 * that comes while the model still loads is kept: the agent registers as soon as it is warm. A failed quick pass fails
 * the registration (the agent exits as after any registration failure). `interrupt()` (SIGTERM while standing by)
 * ends the wait with E_STOPPED.
 */
export class StandbyRegistrar implements Registrar {
  readonly name: string;
  private readonly stop: Promise<never>;
  private rejectStop!: (e: Error) => void;

  constructor(private readonly o: StandbyRegistrarOptions) {
    this.name = o.inner.name;
    this.stop = new Promise<never>((_, reject) => (this.rejectStop = reject));
    this.stop.catch(() => undefined);
  }

  heartbeat(registration: ReplicaRegistration): Promise<void> {
    return this.o.inner.heartbeat(registration);
  }

  async register(registration: ReplicaRegistration): Promise<void> {
    const since = Date.now();
    this.o.log({
      event: 'standby',
      replicaId: registration.replicaId,
      url: registration.url,
      reason: `warm, not registered: promote with ${PROMOTE_SIGNAL}`,
    });
    await Promise.race([this.o.promoted ?? untilPromoteSignal().promoted, this.stop]);
    const started = Date.now();
    const replica = this.o.replica;
    if (replica.warmTargets.length === 0)
      throw new WarmpoolError('E_QUICK_PASS_FAILED', 'standby promoted, but the warm-up ran no targets to re-check');
    try {
      for (const t of replica.warmTargets) await replica.infer(t.feeds);
    } catch (e) {
      throw new WarmpoolError(
        'E_QUICK_PASS_FAILED',
        `standby promoted, but its quick warmth re-check failed: ${(e as Error).message}`,
        { cause: e },
      );
    }
    this.o.log({
      event: 'promoted',
      replicaId: registration.replicaId,
      standbyMs: started - since,
      quickPassMs: Date.now() - started,
      targets: replica.warmTargets.length,
    });
    replica.open();
    await this.o.inner.register(registration);
  }

  fail(registration: ReplicaRegistration, reason: string): Promise<void> {
    return this.o.inner.fail(registration, reason);
  }

  deregister(registration: ReplicaRegistration): Promise<void> {
    return this.o.inner.deregister(registration);
  }

  /** Ends a standby's wait (the agent is stopping). */
  interrupt(): void {
    this.rejectStop(new WarmpoolError('E_STOPPED', 'stopped while standing by'));
  }
}
