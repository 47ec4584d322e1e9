import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { KubernetesApiError, KubernetesErrorCode, type KubeObjectRef } from './errors/kubernetes-api-error.js';
import { KubeCaller } from './kube-caller.js';
import { toEpochMs } from './pod-replica.js';
import { DEFAULT_RETRY_POLICY, realRetryEnv, type RetryEnv, type RetryPolicy } from './retry-policy.js';

/** Timer functions, injected so tests step the elector without waiting. */
export interface ElectorTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: ElectorTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface KubernetesLeaseElectorOptions {
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  /** Lease name, e.g. `warmpool-autoscaler`. */
  readonly name: string;
  /** This daemon's identity (pod name); must be unique among candidates. */
  readonly identity: string;
  /** How long a lease holds without renewal. Default 15 s. */
  readonly leaseDurationS?: number;
  /** Leader renews this often. Default 5 s. */
  readonly renewIntervalS?: number;
  /** Followers try to acquire this often. Default 2 s. */
  readonly retryIntervalS?: number;
  /** A leader that could not renew for this long steps down. Default 10 s (< leaseDurationS). */
  readonly renewDeadlineS?: number;
  readonly nowMs?: () => number;
  readonly timers?: ElectorTimers;
  readonly retry?: Partial<RetryPolicy>;
  readonly retryEnv?: RetryEnv;
  readonly onStartedLeading?: () => void;
  readonly onStoppedLeading?: () => void;
  readonly onNewLeader?: (identity: string) => void;
  /** Errors of a step (the loop goes on; the last one is also kept in `lastError`). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease, the client-go way: the holder renews
 * `spec.renewTime`; a candidate takes over only when the record it observed has not changed for
 * `leaseDurationSeconds` on its own clock (so clock skew between machines does not matter);
 * every write carries the resourceVersion read (409 = someone else won). Release on shutdown
 * clears the holder so a follower takes over at once. Times are written as MicroTime (six
 * fractional digits), which the API server requires.
 */
export class KubernetesLeaseElector {
  private readonly api: CoordinationV1Api;
  private readonly caller: KubeCaller;
  private readonly o: Required<
    Pick<
      KubernetesLeaseElectorOptions,
      'namespace' | 'name' | 'identity' | 'leaseDurationS' | 'renewIntervalS' | 'retryIntervalS' | 'renewDeadlineS'
    >
  >;
  private readonly nowMs: () => number;
  private readonly timers: ElectorTimers;
  private readonly hooks: KubernetesLeaseElectorOptions;
  private leading = false;
  private lastRenewMs = 0;
  private observedKey = '';
  private observedAtMs = 0;
  private observedHolder: string | undefined;
  private timer: unknown;
  private running = false;
  private inFlight: Promise<boolean> | undefined;
  private lastStepError: unknown;

  constructor(options: KubernetesLeaseElectorOptions) {
    this.api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.caller = new KubeCaller(
      { ...DEFAULT_RETRY_POLICY, maxAttempts: 2, ...options.retry },
      options.retryEnv ?? realRetryEnv,
    );
    const leaseDurationS = options.leaseDurationS ?? 15;
    this.o = {
      namespace: options.namespace,
      name: options.name,
      identity: options.identity,
      leaseDurationS,
      renewIntervalS: options.renewIntervalS ?? 5,
      retryIntervalS: options.retryIntervalS ?? 2,
      renewDeadlineS: options.renewDeadlineS ?? Math.max(1, Math.floor((leaseDurationS * 2) / 3)),
    };
    if (!options.identity)
      throw new KubernetesApiError({
        code: KubernetesErrorCode.Invalid,
        verb: 'elect',
        object: this.ref(),
        detail: 'identity must be a non-empty string',
        attempts: 0,
      });
    this.nowMs = options.nowMs ?? Date.now;
    this.timers = options.timers ?? realTimers;
    this.hooks = options;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** The error of the last failed step (undefined after a step that reached the server cleanly). */
  get lastError(): unknown {
    return this.lastStepError;
  }

  /** The holder last observed (this elector's identity when leading). */
  get leader(): string | undefined {
    return this.observedHolder;
  }

  private ref(): KubeObjectRef {
    return { kind: 'Lease', namespace: this.o.namespace, name: this.o.name };
  }

  /** One election step: acquire or renew. Returns whether this elector leads afterwards. */
  async tryAcquireOrRenew(): Promise<boolean> {
    this.lastStepError = undefined;
    const ok = await this.step().catch((err: unknown) => {
      this.lastStepError = err;
      this.hooks.onError?.(err);
      return false;
    });
    const now = this.nowMs();
    if (ok) {
      this.lastRenewMs = now;
      if (!this.leading) {
        this.leading = true;
        this.hooks.onStartedLeading?.();
      }
    } else if (
      this.leading &&
      (this.observedHolder !== this.o.identity || now - this.lastRenewMs >= this.o.renewDeadlineS * 1000)
    ) {
      this.leading = false;
      this.hooks.onStoppedLeading?.();
    }
    return this.leading;
  }

  private observe(lease: V1Lease): void {
    const holder = lease.spec?.holderIdentity || undefined;
    const key = `${holder ?? ''}|${String(lease.spec?.renewTime ?? '')}|${lease.metadata?.resourceVersion ?? ''}`;
    if (key !== this.observedKey) {
      this.observedKey = key;
      this.observedAtMs = this.nowMs();
      if (holder !== this.observedHolder && holder !== undefined) this.hooks.onNewLeader?.(holder);
      this.observedHolder = holder;
    }
  }

  private async step(): Promise<boolean> {
    const { namespace, name, identity, leaseDurationS } = this.o;
    const now = this.nowMs();
    let lease: V1Lease;
    try {
      lease = await this.caller.call('get', this.ref(), (o) => this.api.readNamespacedLease({ name, namespace }, o));
    } catch (err) {
      if (!(err instanceof KubernetesApiError) || err.code !== KubernetesErrorCode.NotFound) throw err;
      const body: V1Lease = {
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: leaseDurationS,
          acquireTime: new V1MicroTime(now),
          renewTime: new V1MicroTime(now),
          leaseTransitions: 0,
        },
      };
      try {
        const created = await this.caller.call('create', this.ref(), (o) =>
          this.api.createNamespacedLease({ namespace, body }, o),
        );
        this.observe(created);
        return true;
      } catch (createErr) {
        if (createErr instanceof KubernetesApiError && createErr.code === KubernetesErrorCode.Conflict) return false;
        throw createErr;
      }
    }
    this.observe(lease);
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity || undefined;
    const durationMs = (spec.leaseDurationSeconds ?? leaseDurationS) * 1000;
    const mine = holder === identity;
    const expired = holder === undefined || this.observedAtMs + durationMs <= now;
    if (!mine && !expired) return false;
    const next: V1Lease = {
      metadata: { ...lease.metadata, name, namespace },
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds: leaseDurationS,
        acquireTime:
          mine && spec.acquireTime ? new V1MicroTime(toEpochMs(spec.acquireTime) ?? now) : new V1MicroTime(now),
        renewTime: new V1MicroTime(now),
        leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
      },
    };
    try {
      const written = await this.caller.call('update', this.ref(), (o) =>
        this.api.replaceNamespacedLease({ name, namespace, body: next }, o),
      );
      this.observe(written);
      return true;
    } catch (err) {
      if (err instanceof KubernetesApiError && err.code === KubernetesErrorCode.Conflict) return false;
      throw err;
    }
  }

  /** Runs the election loop until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    this.timer = this.timers.setTimeout(() => {
      this.inFlight = this.tryAcquireOrRenew();
      void this.inFlight.then((leading) => {
        this.inFlight = undefined;
        this.schedule((leading ? this.o.renewIntervalS : this.o.retryIntervalS) * 1000);
      });
    }, ms);
  }

  /** Stops the loop and, when leading, releases the lease so a follower takes over at once. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.inFlight) await this.inFlight;
    await this.release();
  }

  /** Gives the lease up if this elector holds it (holder cleared, duration 1 s). */
  async release(): Promise<void> {
    if (!this.leading) return;
    const { namespace, name, identity } = this.o;
    this.leading = false;
    try {
      const lease = await this.caller.call('get', this.ref(), (o) =>
        this.api.readNamespacedLease({ name, namespace }, o),
      );
      if (lease.spec?.holderIdentity !== identity) return;
      const now = this.nowMs();
      const body: V1Lease = {
        metadata: { ...lease.metadata },
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: new V1MicroTime(now),
          renewTime: new V1MicroTime(now),
        },
      };
      await this.caller.call('update', this.ref(), (o) =>
        this.api.replaceNamespacedLease({ name, namespace, body }, o),
      );
    } finally {
      this.hooks.onStoppedLeading?.();
    }
  }
}
