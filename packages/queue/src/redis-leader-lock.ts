import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { FieldReader, ValidationError } from '@warmpool/domain';
import { EventHub } from './event-hub.js';
import { FencedOffError } from './errors/fenced-off-error.js';
import { QueueClosedError } from './errors/queue-closed-error.js';
import { RedisUnavailableError } from './errors/redis-unavailable-error.js';
import { systemClock, type TimerClock, type TimerHandle } from './interfaces/timer-clock.js';
import { createRedisClient, DEFAULT_REDIS_URL, redactRedisUrl, withDeadline } from './redis-client-factory.js';

/**
 * SET NX PX; on success a new fencing token: INCR, but never below ARGV[3] (the caller's clock in ms), so the token
 * keeps increasing even after Redis lost the counter (a restart without persistence, FLUSHALL): a counter that would
 * restart at 1 restarts at the current time instead, above every token handed out before. Already ours: extend, -1.
 * Someone else's: 0.
 */
const ACQUIRE = `
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  local t = redis.call('INCR', KEYS[2])
  local floor = tonumber(ARGV[3])
  if t < floor then
    redis.call('SET', KEYS[2], ARGV[3])
    t = floor
  end
  return t
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return -1
end
return 0`;
/** Compare-and-extend. */
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;
/** Still ours, under the same term: the lease's remaining ms (>= 1); else 0 (taken, expired, or a newer token). */
const VERIFY = `
if redis.call('GET', KEYS[1]) == ARGV[1] and redis.call('GET', KEYS[2]) == ARGV[2] then
  local left = redis.call('PTTL', KEYS[1])
  if left < 1 then return 1 end
  return left
end
return 0`;
/** Compare-and-delete. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

export type LeaderEvent =
  | { readonly type: 'elected'; readonly holderId: string; readonly fencingToken: number }
  | { readonly type: 'lost'; readonly holderId: string; readonly reason: 'taken-over' | 'expired' | 'released' }
  | { readonly type: 'error'; readonly error: Error };

export interface RedisLeaderLockOptions {
  /** Default `redis://127.0.0.1:6379`; ignored when `redis` is given. */
  readonly redisUrl?: string;
  /** A connection to use (not closed by the lock). Default: one of its own to `redisUrl`. */
  readonly redis?: Redis;
  /** Default `warmpool:leader`. */
  readonly key?: string;
  /** This daemon's id, unique per process. Default: a random UUID. */
  readonly holderId?: string;
  /** Lease length: a leader that stops renewing is replaced after this. Default 15000. */
  readonly ttlMs?: number;
  /** How often `start()` renews (as leader) or tries to acquire (as follower). Default ttlMs / 3. */
  readonly renewEveryMs?: number;
  /** Longest wait for Redis per operation. Default min(ttlMs / 3, 2000). */
  readonly operationTimeoutMs?: number;
  /** For the local view of the lease and for `start()`'s timer. Default: the system clock. */
  readonly clock?: TimerClock;
}

/**
 * Leader election among daemons sharing a Redis: the leader holds `key` (value = holderId) with a TTL and renews it;
 * when it stops renewing, another takes over after the TTL. `isLeader()` is a local view that turns false
 * before the Redis key can expire (even with Redis unreachable), so two daemons never both think they lead.
 */
export class RedisLeaderLock {
  readonly key: string;
  readonly holderId: string;
  readonly ttlMs: number;
  readonly redisUrl: string;
  private readonly fenceKey: string;
  private readonly renewEveryMs: number;
  private readonly operationTimeoutMs: number;
  private readonly clock: TimerClock;
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly events = new EventHub<LeaderEvent>((error) => ({ type: 'error', error }));
  private validUntilMs = 0;
  private token = 0;
  private leading = false;
  private timer: TimerHandle | undefined;
  private ticking: Promise<void> | undefined;
  private running = false;
  private closed = false;

  constructor(options: RedisLeaderLockOptions = {}) {
    const r = new FieldReader({
      ttlMs: options.ttlMs,
      renewEveryMs: options.renewEveryMs,
      operationTimeoutMs: options.operationTimeoutMs,
      key: options.key,
      holderId: options.holderId,
    });
    this.ttlMs = r.number('ttlMs', { default: 15_000, min: 10, integer: true });
    this.renewEveryMs = r.number('renewEveryMs', {
      default: Math.max(1, Math.floor(this.ttlMs / 3)),
      min: 1,
      max: this.ttlMs,
    });
    this.operationTimeoutMs = r.number('operationTimeoutMs', {
      default: Math.min(Math.max(1, Math.floor(this.ttlMs / 3)), 2000),
      min: 1,
    });
    this.key = r.string('key', { default: 'warmpool:leader' });
    this.holderId = r.string('holderId', { default: randomUUID() });
    if (r.issues.length > 0) throw new ValidationError(r.issues, 'leader lock options');
    this.fenceKey = `${this.key}:fencing-token`;
    this.clock = options.clock ?? systemClock;
    this.redisUrl = redactRedisUrl(options.redisUrl ?? DEFAULT_REDIS_URL);
    this.ownsConnection = options.redis === undefined;
    this.redis =
      options.redis ??
      createRedisClient(options.redisUrl ?? DEFAULT_REDIS_URL, {
        maxRetriesPerRequest: 1,
        reconnectMaxDelayMs: Math.max(50, Math.min(2000, this.renewEveryMs)),
        connectionName: `warmpool:leader:${this.holderId}`,
        onError: (error) => this.emit({ type: 'error', error: this.unavailable('connection', error.message, error) }),
      });
  }

  /** Fencing token of the current term (increases with each new leader); 0 before the first election. */
  get fencingToken(): number {
    return this.token;
  }

  /** True while this instance holds an unexpired lease, by the local clock (with a margin for clock drift). */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.validUntilMs;
  }

  /** Adds a listener for elected / lost / error; returns a function that removes it. */
  onEvent(listener: (event: LeaderEvent) => void): () => void {
    return this.events.subscribe(listener);
  }

  /** SET NX PX: true when this instance now holds the lock (newly, or already held and extended). */
  async tryAcquire(): Promise<boolean> {
    this.assertOpen('acquire');
    const startedMs = this.clock.now();
    const floor = String(Math.max(1, Math.floor(this.clock.now())));
    const result = Number(
      await this.call('acquire', () =>
        this.redis.eval(ACQUIRE, 2, this.key, this.fenceKey, this.holderId, String(this.ttlMs), floor),
      ),
    );
    if (result === 0) {
      this.setLost('taken-over');
      return false;
    }
    const fresh = result > 0 || !this.leading;
    if (result > 0) this.token = result;
    this.holdFrom(startedMs);
    if (fresh) this.emit({ type: 'elected', holderId: this.holderId, fencingToken: this.token });
    return true;
  }

  /**
   * The fencing check, where a leader is about to act: resolves when this instance leads by its local view AND Redis
   * still holds the lock for it under the token it was elected with; throws {@link FencedOffError} otherwise (a stale
   * leader after a pause, or after Redis lost the lock), or RedisUnavailableError when Redis does not answer.
   */
  async verify(): Promise<void> {
    this.assertOpen('verify');
    if (!this.isLeader())
      throw new FencedOffError(this.key, this.holderId, this.token, 'not the leader by its own lease view');
    const sentMs = this.clock.now();
    const leftMs = Number(
      await this.call('verify', () =>
        this.redis.eval(VERIFY, 2, this.key, this.fenceKey, this.holderId, String(this.token)),
      ),
    );
    if (!(leftMs >= 1)) {
      this.setLost('taken-over');
      throw new FencedOffError(
        this.key,
        this.holderId,
        this.token,
        'the lock is no longer held under this token (taken over, expired, or lost by Redis)',
      );
    }
    // The answer proves the lease held when Redis ran the check, with `leftMs` to go. If the answer took that long to
    // arrive (a stalled process, an overloaded host), another daemon may lead by now: not proof enough to act on.
    const tookMs = this.clock.now() - sentMs;
    const marginMs = Math.floor(this.ttlMs * 0.01) + 2;
    if (tookMs >= leftMs - marginMs) {
      throw new FencedOffError(
        this.key,
        this.holderId,
        this.token,
        `the check's answer took ${tookMs} ms, as long as the lease had left (${leftMs} ms); another daemon may lead by now`,
      );
    }
  }

  /** Round trip to Redis (readiness of a follower): resolves when Redis answers within the operation timeout. */
  async ping(): Promise<void> {
    this.assertOpen('ping');
    await this.call('ping', () => this.redis.ping());
  }

  /** Compare-and-extend: true when the lock was still ours and its TTL is reset. */
  async renew(): Promise<boolean> {
    this.assertOpen('renew');
    const startedMs = this.clock.now();
    const result = Number(
      await this.call('renew', () => this.redis.eval(RENEW, 1, this.key, this.holderId, String(this.ttlMs))),
    );
    if (result !== 1) {
      this.setLost('taken-over');
      return false;
    }
    this.holdFrom(startedMs);
    return true;
  }

  /** Compare-and-delete: true when the lock was ours and is now free for another daemon. */
  async release(): Promise<boolean> {
    this.assertOpen('release');
    const wasLeading = this.leading;
    this.leading = false;
    this.validUntilMs = 0;
    const result = Number(await this.call('release', () => this.redis.eval(RELEASE, 1, this.key, this.holderId)));
    if (wasLeading) this.emit({ type: 'lost', holderId: this.holderId, reason: 'released' });
    return result === 1;
  }

  /** Campaigns in the background: renews while leader, tries to acquire otherwise, every `renewEveryMs`. */
  start(): void {
    this.assertOpen('start');
    if (this.running) return;
    this.running = true;
    this.schedule(0);
  }

  /** Stops campaigning (waits for a check in flight). With `release` (default) gives the lock up at once. */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    await this.ticking;
    if (options.release ?? true) {
      if (this.leading)
        await this.release().catch((error: unknown) => this.emit({ type: 'error', error: error as Error }));
    } else {
      this.leading = false;
      this.validUntilMs = 0;
    }
  }

  /** Stops, releases the lock, and closes its own connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.stop({ release: true });
    this.closed = true;
    if (this.ownsConnection) this.redis.disconnect();
  }

  private schedule(delayMs: number): void {
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.ticking = this.tick().finally(() => {
        this.ticking = undefined;
        if (this.running) this.schedule(this.renewEveryMs);
      });
    }, delayMs);
  }

  private async tick(): Promise<void> {
    try {
      if (this.leading) await this.renew();
      else await this.tryAcquire();
    } catch (err) {
      this.emit({ type: 'error', error: err as Error });
      if (this.leading && !this.isLeader()) this.setLost('expired');
    }
  }

  private holdFrom(startedMs: number): void {
    const driftMs = Math.floor(this.ttlMs * 0.01) + 2;
    this.leading = true;
    this.validUntilMs = startedMs + this.ttlMs - driftMs;
  }

  private setLost(reason: 'taken-over' | 'expired'): void {
    if (!this.leading) return;
    this.leading = false;
    this.validUntilMs = 0;
    this.emit({ type: 'lost', holderId: this.holderId, reason });
  }

  private async call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const what = `leader lock ${this.key}: ${operation}`;
    const pending = work().catch((err: unknown) => {
      throw this.unavailable(what, err instanceof Error ? err.message : String(err), err);
    });
    return withDeadline(pending, this.operationTimeoutMs, () =>
      this.unavailable(what, `no answer within ${this.operationTimeoutMs} ms`),
    );
  }

  private unavailable(operation: string, detail: string, cause?: unknown): RedisUnavailableError {
    return new RedisUnavailableError(this.redisUrl, operation, detail, cause === undefined ? undefined : { cause });
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new QueueClosedError(`leader lock ${this.key}`, operation);
  }

  private emit(event: LeaderEvent): void {
    this.events.emit(event);
  }
}
