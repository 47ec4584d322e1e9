import type { PoolReplica, ReplicaPool } from './replica-pool.js';

export interface HealthCheckerOptions {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive failed checks after which a replica is removed from the routing table (it is still probed). */
  readonly failureThreshold: number;
  /** A removed replica that has not answered /readyz 200 for this long is forgotten (it must register again). */
  readonly forgetAfterMs: number;
}

export const HEALTH_CHECKER_DEFAULTS: HealthCheckerOptions = {
  intervalMs: 2_000,
  timeoutMs: 1_000,
  failureThreshold: 3,
  forgetAfterMs: 10 * 60_000,
};

/** What the health checker did to a replica, for the load balancer's log. */
export type HealthEvent = 'replica-removed' | 'replica-restored' | 'replica-forgotten';

/** What one /readyz probe found. */
export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: string;
}

/** Header a warmpool model server's health answers carry: the replica id it answers for. */
export const REPLICA_ID_HEADER = 'x-warmpool-replica-id';

/** Most bytes of a readiness answer read: a replica streaming gigabytes at /readyz cannot grow the load balancer. */
export const MAX_PROBE_BODY_BYTES = 64 * 1024;

/** The answer's body as text, at most `limit` bytes of it (the rest is not read: the stream is cancelled). */
async function readAtMost(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } finally {
    if (size >= limit) await reader.cancel().catch(() => undefined);
    else reader.releaseLock();
  }
  return Buffer.concat(parts).subarray(0, limit).toString('utf8');
}

/**
 * GET {url}/v2/health/ready (the KServe v2 health path; a replica that answers it 404 is asked `/readyz`, the older
 * alias): ok on 200; anything else (status, timeout, refused) is a failure with the detail. With `model`: a 200 whose
 * body lists the served `models` (the warmpool model server does) must list that one. With `replicaId`: a 200 that
 * names the replica it answers for (header `x-warmpool-replica-id` or `replicaId` in the body) must name that one, so
 * a port reused by another replica, of another model or of the same one, is not taken for this one.
 */
export async function probeReady(
  url: string,
  timeoutMs: number,
  model?: string,
  replicaId?: string,
): Promise<ProbeResult> {
  try {
    const signal = AbortSignal.timeout(timeoutMs);
    let path = '/v2/health/ready';
    // A redirect is an answer, not a place to go: the probe never follows a replica to another address.
    let res = await fetch(`${url}${path}`, { signal, redirect: 'manual' });
    if (res.status === 404) {
      await res.body?.cancel();
      path = '/readyz';
      res = await fetch(`${url}${path}`, { signal, redirect: 'manual' });
    }
    const text = await readAtMost(res, MAX_PROBE_BODY_BYTES);
    if (res.status === 200) {
      let body: { models?: unknown; replicaId?: unknown } | undefined;
      try {
        const parsed: unknown = JSON.parse(text);
        if (parsed && typeof parsed === 'object') body = parsed as typeof body;
      } catch {
        // not JSON: nothing to compare
      }
      const models = body?.models;
      if (
        model !== undefined &&
        models &&
        typeof models === 'object' &&
        !Array.isArray(models) &&
        !Object.hasOwn(models, model)
      ) {
        return {
          ok: false,
          detail: `${path} answers 200 for ${Object.keys(models).join(', ').slice(0, 200) || 'no model'}, not model ${model}`,
        };
      }
      const answeredId =
        res.headers.get(REPLICA_ID_HEADER) ?? (typeof body?.replicaId === 'string' ? body.replicaId : undefined);
      if (replicaId !== undefined && answeredId !== undefined && answeredId !== replicaId) {
        return {
          ok: false,
          detail: `${path} answers 200 for replica ${answeredId.slice(0, 200)}, not replica ${replicaId}`,
        };
      }
      return { ok: true, detail: 'ready' };
    }
    let reason = text.slice(0, 300);
    try {
      reason = (JSON.parse(text) as { reason?: string }).reason ?? reason;
    } catch {
      // not JSON: keep the text
    }
    return { ok: false, detail: `${path} answered ${res.status}: ${reason}` };
  } catch (e) {
    const cause = (e as { cause?: { code?: string } }).cause?.code;
    return { ok: false, detail: `/v2/health/ready unreachable: ${cause ?? (e as Error).message}` };
  }
}

/**
 * Active health checks: a replica failing /readyz stops getting traffic at once, and is taken out of the routing
 * table after `failureThreshold` consecutive failures. A removed replica is still probed: when its /readyz answers
 * 200 again it is routed to again (a replica busy with one long request comes back by itself), and after
 * `forgetAfterMs` without a 200 it is forgotten. `checkOnce()` is the whole logic; `start()` only runs it on an
 * interval.
 */
export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  readonly options: HealthCheckerOptions;

  constructor(
    private readonly pool: ReplicaPool,
    options: Partial<HealthCheckerOptions> = {},
    private readonly onEvent: (event: HealthEvent, replica: PoolReplica, detail: string) => void = () => {},
    private readonly nowMs: () => number = Date.now,
  ) {
    this.options = { ...HEALTH_CHECKER_DEFAULTS, ...options };
  }

  async checkOnce(): Promise<void> {
    await Promise.all(
      this.pool
        .list()
        .filter((r) => !r.draining)
        .map((r) => this.check(r)),
    );
  }

  start(): void {
    this.stop();
    this.timer = setInterval(() => {
      if (!this.running) this.running = this.checkOnce().finally(() => (this.running = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async check(r: PoolReplica): Promise<void> {
    const result = await probeReady(r.url, this.options.timeoutMs, r.model, r.id);
    if (this.pool.get(r.id) !== r || r.draining) return; // re-registered, deregistered or draining meanwhile
    if (result.ok) {
      if (r.removedAtMs !== undefined) {
        this.pool.restore(r);
        this.onEvent('replica-restored', r, 'its ready probe answers 200 again');
        return;
      }
      r.ready = true;
      r.failures = 0;
      r.lastError = undefined;
      return;
    }
    r.ready = false;
    r.failures += 1;
    r.lastError = result.detail;
    const now = this.nowMs();
    if (r.removedAtMs !== undefined) {
      if (now - r.removedAtMs >= this.options.forgetAfterMs) {
        this.pool.remove(r.id);
        this.onEvent(
          'replica-forgotten',
          r,
          `not ready for ${Math.round((now - r.removedAtMs) / 1000)} s since removed: ${result.detail}`,
        );
      }
      return;
    }
    if (r.failures >= this.options.failureThreshold) {
      this.pool.markRemoved(r, now);
      this.onEvent('replica-removed', r, result.detail);
    }
  }
}
