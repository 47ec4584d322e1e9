import type { Registrar, ReplicaRegistration } from '@warmpool/domain';
import { RegistrarError } from './errors/registrar-error.js';

/** What a heartbeat found about this replica's membership. */
export type MembershipCheck =
  /** Not registered by this registrar yet (warming): nothing to check. */
  | 'not-registered'
  /** In the load balancer's table at this URL (routed to, or removed and being probed). */
  | 'present'
  /** The load balancer had forgotten it (restarted, or gave up probing): registered again. */
  | 're-registered';

export interface LocalRegistrarOptions {
  /** Base URL of the local load balancer, e.g. http://127.0.0.1:8080 */
  readonly lbUrl: string;
  /** This replica's own credential (`deriveReplicaToken(secret, replicaId)`) or the shared secret. */
  readonly token: string;
  /** Tries after the first on a refused connection, a timeout or a 5xx/409 answer. */
  readonly retries?: number;
  /** Wait between tries (doubles each time, capped at 10 s). */
  readonly retryDelayMs?: number;
  readonly timeoutMs?: number;
  /** Longest a deregistration (with the load balancer draining) may take. */
  readonly drainTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Every membership check after registration (for the agent's log). */
  readonly onMembership?: (check: MembershipCheck, registration: ReplicaRegistration) => void;
}

interface Answer {
  readonly status: number;
  readonly body: string;
}

/**
 * Registrar adapter for the local world: registers with the local load balancer over HTTP with the replica's
 * credential, and deregisters (the load balancer stops routing and drains in-flight requests) on shutdown. Once
 * registered, each `heartbeat` checks the load balancer still knows the replica (`GET /replicas/{id}`) and registers
 * it again when it does not (a restarted load balancer, a replica forgotten after a long outage). Retries transient
 * failures as configured; an unreachable load balancer is a RegistrarError naming its URL, so the replica never
 * believes it is registered by mistake.
 */
export class LocalRegistrar implements Registrar {
  readonly name = 'local';
  private readonly lbUrl: string;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly timeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Replica ids this registrar registered and has not deregistered. */
  private readonly registered = new Set<string>();
  private checking: Promise<void> = Promise.resolve();

  constructor(private readonly opts: LocalRegistrarOptions) {
    this.lbUrl = opts.lbUrl.replace(/\/+$/, '');
    this.retries = opts.retries ?? 5;
    this.retryDelayMs = opts.retryDelayMs ?? 500;
    this.timeoutMs = opts.timeoutMs ?? 5_000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * While warming nothing to send (the load balancer probes /readyz itself before it accepts the registration); once
   * registered, a membership check that registers again when the load balancer lost the replica.
   */
  async heartbeat(registration: ReplicaRegistration): Promise<void> {
    const run = this.checkMembership(registration);
    this.checking = run.then(
      () => undefined,
      () => undefined,
    );
    const check = await run;
    if (check !== 'not-registered') this.opts.onMembership?.(check, registration);
  }

  /** See MembershipCheck. Throws E_LB_ID_TAKEN when another URL holds this replica id, E_LB_UNREACHABLE / E_LB_REJECTED as register. */
  async checkMembership(registration: ReplicaRegistration): Promise<MembershipCheck> {
    if (!this.registered.has(registration.replicaId)) return 'not-registered';
    const path = this.replicaPath(registration);
    const answer = await this.call('GET', path, undefined, this.timeoutMs, [200, 404]);
    if (answer.status === 200) {
      const url = (JSON.parse(answer.body) as { replica?: { url?: unknown } }).replica?.url;
      if (url === registration.url) return 'present';
      throw new RegistrarError(
        'E_LB_ID_TAKEN',
        this.lbUrl,
        `replica id ${registration.replicaId} is registered at ${String(url)}, not at ${registration.url}`,
      );
    }
    if (answer.status !== 404) throw this.rejected('membership check', registration, answer);
    if (!this.registered.has(registration.replicaId)) return 'not-registered'; // deregistered meanwhile
    await this.post(registration);
    return 're-registered';
  }

  async register(registration: ReplicaRegistration): Promise<void> {
    await this.post(registration);
    this.registered.add(registration.replicaId);
  }

  /** Warm-up failed: make sure the load balancer does not route to this replica. */
  async fail(registration: ReplicaRegistration, _reason: string): Promise<void> {
    await this.deregister(registration);
  }

  async deregister(registration: ReplicaRegistration): Promise<void> {
    this.registered.delete(registration.replicaId);
    await this.checking; // a membership check in flight must not register it again after the DELETE
    const path = this.replicaPath(registration);
    const answer = await this.call(
      'DELETE',
      path,
      undefined,
      (this.opts.drainTimeoutMs ?? 30_000) + this.timeoutMs,
      [200, 404],
    );
    if (answer.status !== 200 && answer.status !== 404) throw this.rejected('deregister', registration, answer);
  }

  private replicaPath(registration: ReplicaRegistration): string {
    return `/replicas/${encodeURIComponent(registration.replicaId)}`;
  }

  private async post(registration: ReplicaRegistration): Promise<void> {
    const answer = await this.call('POST', '/replicas', JSON.stringify(registration), this.timeoutMs, [201, 200]);
    if (answer.status !== 201 && answer.status !== 200) throw this.rejected('register', registration, answer);
  }

  private rejected(what: string, reg: ReplicaRegistration, answer: Answer): RegistrarError {
    return new RegistrarError(
      'E_LB_REJECTED',
      this.lbUrl,
      `${what} of replica ${reg.replicaId} (model ${reg.model}) refused with ${answer.status}: ${answer.body.slice(0, 500)}`,
    );
  }

  private async call(
    method: string,
    path: string,
    body: string | undefined,
    timeoutMs: number,
    done: number[],
  ): Promise<Answer> {
    let last = '';
    let delay = this.retryDelayMs;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) {
        await this.sleep(delay);
        delay = Math.min(delay * 2, 10_000);
      }
      try {
        const res = await fetch(`${this.lbUrl}${path}`, {
          method,
          body,
          headers: { authorization: `Bearer ${this.opts.token}`, 'content-type': 'application/json' },
          signal: AbortSignal.timeout(timeoutMs),
        });
        const answer = { status: res.status, body: await res.text() };
        // 5xx and 409 (load balancer could not confirm readiness yet) are worth another try.
        if (done.includes(res.status) || (res.status < 500 && res.status !== 409)) return answer;
        last = `answered ${res.status}: ${answer.body.slice(0, 300)}`;
        if (attempt === this.retries) return answer;
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        last = cause ?? (e as Error).message;
      }
    }
    throw new RegistrarError(
      'E_LB_UNREACHABLE',
      this.lbUrl,
      `${method} ${path} failed after ${this.retries + 1} tries: ${last}`,
    );
  }
}
