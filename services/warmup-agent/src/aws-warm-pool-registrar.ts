import { WarmpoolError, type Registrar, type ReplicaRegistration } from '@warmpool/domain';
import type { Feeds } from '@warmpool/warmup';
import type { TargetLifecycleState } from './instance-metadata-client.js';

/** What the quick pass needs of the replica: the inputs its warm-up ran, and inference. */
export interface QuickPassReplica {
  readonly warmTargets: readonly { readonly label: string; readonly feeds: Feeds }[];
  infer(feeds: Feeds): Promise<{ readonly latencyMs: number }>;
}

export interface AwsWarmPoolRegistrarOptions {
  /** The lifecycle registrar that heartbeats and completes the launching hook (AwsLifecycleRegistrar). */
  readonly inner: Registrar & { close?(): Promise<void> };
  /** Reads `autoscaling/target-lifecycle-state` from the instance metadata service. */
  readonly targetState: () => Promise<TargetLifecycleState>;
  /** How often the target state is read while the instance waits in the warm pool. Default 5 000 ms. */
  readonly pollMs?: number;
  /**
   * After the instance left the warm pool, how long a CONTINUE answered "no open lifecycle action" is tried again (the
   * launch out of the pool opens its action a moment after the target state turns InService). Default 60 000 ms.
   */
  readonly actionWaitMs?: number;
  readonly log: (event: Record<string, unknown>) => void;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * The AWS registrar, aware of the warm pool: on register (the replica is warm) it reads where Auto Scaling takes the
 * instance (`autoscaling/target-lifecycle-state`, IMDSv2).
 * - `Warmed:*` (launching into the warm pool): completes the launching hook with CONTINUE, so the instance stops,
 *   hibernates or keeps running warm in the pool, and stays out of traffic. A process that survives in the pool
 *   (Running, Hibernated) polls the target state; once it is `InService` (leaving the pool) it re-checks warmth with a
 *   quick pass (one inference per warm target) and completes the new launch's hook. (A Stopped instance's agent starts
 *   again at boot and reads `InService`.)
 * - `InService` (launching into service, or started again out of the pool): a quick pass, then CONTINUE.
 * A failed quick pass completes the hook with ABANDON (the instance is replaced) and the registration fails.
 * `close()` ends a wait in the pool (SIGTERM).
 */
export class AwsWarmPoolRegistrar implements Registrar {
  readonly name: string;
  private replica: QuickPassReplica | undefined;
  private readonly abort = new AbortController();
  private readonly pollMs: number;
  private readonly actionWaitMs: number;

  constructor(private readonly o: AwsWarmPoolRegistrarOptions) {
    this.name = o.inner.name;
    this.pollMs = o.pollMs ?? 5_000;
    this.actionWaitMs = o.actionWaitMs ?? 60_000;
  }

  /** The replica the quick pass runs on (set once the agent has made it). */
  attach(replica: QuickPassReplica): void {
    this.replica = replica;
  }

  heartbeat(registration: ReplicaRegistration): Promise<void> {
    return this.o.inner.heartbeat(registration);
  }

  async register(registration: ReplicaRegistration): Promise<void> {
    const state = await this.o.targetState();
    this.o.log({ event: 'target-lifecycle-state', state });
    if (state.startsWith('Warmed:')) {
      await this.o.inner.register(registration);
      this.o.log({
        event: 'warm-pool-entered',
        state,
        reason: 'launching hook completed (CONTINUE): the instance goes into the warm pool warm',
      });
      const next = await this.waitToLeavePool();
      if (next !== 'InService') {
        throw new WarmpoolError(
          'E_AWS_WARM_POOL_LEFT',
          `the instance left the warm pool for ${next}, not into service; not taking traffic`,
        );
      }
      this.o.log({ event: 'warm-pool-left', state: next });
      await this.quickPassOrAbandon(registration);
      await this.completeWhenOpen(registration);
      return;
    }
    if (state !== 'InService') {
      throw new WarmpoolError(
        'E_AWS_NOT_LAUNCHING',
        `target lifecycle state is ${state}: the instance is not launching into service or the warm pool; not taking traffic`,
      );
    }
    await this.quickPassOrAbandon(registration);
    await this.o.inner.register(registration);
  }

  fail(registration: ReplicaRegistration, reason: string): Promise<void> {
    return this.o.inner.fail(registration, reason);
  }

  deregister(registration: ReplicaRegistration): Promise<void> {
    return this.o.inner.deregister(registration);
  }

  async close(): Promise<void> {
    this.abort.abort();
    await this.o.inner.close?.();
  }

  /** Ends a wait in the warm pool (the process is stopping). */
  interrupt(): void {
    this.abort.abort();
  }

  private async waitToLeavePool(): Promise<TargetLifecycleState> {
    for (;;) {
      await sleep(this.pollMs, this.abort.signal);
      if (this.abort.signal.aborted) throw new WarmpoolError('E_STOPPED', 'stopped while waiting in the warm pool');
      try {
        const state = await this.o.targetState();
        if (!state.startsWith('Warmed:')) return state;
      } catch (e) {
        // The metadata service hiccuped: keep waiting, say so.
        this.o.log({
          event: 'target-lifecycle-state-failed',
          error: (e as { code?: string }).code ?? 'E_IMDS',
          reason: (e as Error).message,
        });
      }
    }
  }

  private async quickPassOrAbandon(registration: ReplicaRegistration): Promise<void> {
    try {
      await this.quickPass();
    } catch (e) {
      const reason = `quick warmth re-check failed: ${(e as Error).message}`;
      await this.o.inner.fail(registration, reason).catch((err: unknown) =>
        this.o.log({
          event: 'registrar-fail-failed',
          error: (err as { code?: string }).code,
          reason: (err as Error).message,
        }),
      );
      throw new WarmpoolError('E_QUICK_PASS_FAILED', reason, { cause: e });
    }
  }

  /** One inference per warm target; any failure means the replica is not warm. */
  private async quickPass(): Promise<void> {
    const replica = this.replica;
    if (!replica) throw new WarmpoolError('E_NO_REPLICA', 'no replica attached for the quick pass');
    if (replica.warmTargets.length === 0)
      throw new WarmpoolError('E_NO_WARM_TARGETS', 'the warm-up ran no targets to re-check');
    const started = Date.now();
    const latenciesMs: Record<string, number> = {};
    for (const t of replica.warmTargets)
      latenciesMs[t.label] = Number((await replica.infer(t.feeds)).latencyMs.toFixed(2));
    this.o.log({ event: 'quick-pass', targets: replica.warmTargets.length, ms: Date.now() - started, latenciesMs });
  }

  /** CONTINUE, tried again while the launch out of the pool has not opened its lifecycle action yet. */
  private async completeWhenOpen(registration: ReplicaRegistration): Promise<void> {
    const deadline = Date.now() + this.actionWaitMs;
    for (;;) {
      try {
        await this.o.inner.register(registration);
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== 'E_AWS_LIFECYCLE_ACTION_NOT_FOUND' || Date.now() >= deadline || this.abort.signal.aborted) throw e;
        await sleep(Math.min(this.pollMs, 1_000), this.abort.signal);
      }
    }
  }
}
