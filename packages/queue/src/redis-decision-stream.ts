import type { Redis } from 'ioredis';
import { FieldReader, ValidationError } from '@warmpool/domain';
import { DecisionStreamFormatError } from './errors/decision-stream-format-error.js';
import { QueueClosedError } from './errors/queue-closed-error.js';
import { RedisUnavailableError } from './errors/redis-unavailable-error.js';
import { createRedisClient, DEFAULT_REDIS_URL, redactRedisUrl, withDeadline } from './redis-client-factory.js';

/** One decision read back: the stream entry id, its time (ms, Redis server clock), and the JSON record. */
export interface DecisionStreamEntry {
  readonly id: string;
  readonly timeMs: number;
  readonly record: Record<string, unknown>;
}

/** A batch read from the stream. Entries that are not JSON object records are in `invalid`, not dropped silently. */
export interface DecisionStreamPage {
  readonly entries: readonly DecisionStreamEntry[];
  readonly invalid: readonly DecisionStreamFormatError[];
  /** Id of the last entry looked at (valid or not); pass as `afterId` to go on from here. */
  readonly lastId: string | undefined;
}

export interface DecisionStreamReadOptions {
  /** Entries at or after this epoch ms (by entry id). */
  readonly sinceMs?: number;
  /** Entries strictly after this entry id; wins over `sinceMs`. */
  readonly afterId?: string;
  /** Most entries per page. Default 1000. */
  readonly count?: number;
}

export interface DecisionStreamFollowOptions extends DecisionStreamReadOptions {
  /** Longest single block on XREAD before checking `signal` again. Default 1000. */
  readonly blockMs?: number;
  /** Ends the follow (promptly: the blocking connection is cut). */
  readonly signal?: AbortSignal;
}

export interface RedisDecisionStreamOptions {
  /** Default `redis://127.0.0.1:6379`; ignored when `redis` is given. */
  readonly redisUrl?: string;
  /** A connection to use (not closed by the stream). Default: one of its own to `redisUrl`. */
  readonly redis?: Redis;
  /** Default `warmpool:decisions`. */
  readonly key?: string;
  /** Keep about this many entries (XADD MAXLEN ~, so a little more may stay). Default 100000. */
  readonly maxLen?: number;
  /** Longest wait for Redis per append/read. Default 2000. */
  readonly operationTimeoutMs?: number;
  /** Connection errors of its own connection (lost, reconnecting); failed operations also throw. */
  readonly onError?: (error: RedisUnavailableError) => void;
}

const FIELD = 'record';
type RawEntry = [id: string, fields: string[]];

/**
 * The decision log as a capped Redis stream: each decision is one entry with one field, `record`, holding JSON.
 * The record type is open (`Record<string, unknown>`) so this does not depend on the planner's Decision shape.
 */
export class RedisDecisionStream {
  readonly key: string;
  readonly redisUrl: string;
  private readonly maxLen: number;
  private readonly operationTimeoutMs: number;
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private closed = false;

  constructor(options: RedisDecisionStreamOptions = {}) {
    const r = new FieldReader({
      key: options.key,
      maxLen: options.maxLen,
      operationTimeoutMs: options.operationTimeoutMs,
    });
    this.key = r.string('key', { default: 'warmpool:decisions' });
    this.maxLen = r.number('maxLen', { default: 100_000, min: 1, integer: true });
    this.operationTimeoutMs = r.number('operationTimeoutMs', { default: 2000, min: 1 });
    if (r.issues.length > 0) throw new ValidationError(r.issues, 'decision stream options');
    this.redisUrl = redactRedisUrl(options.redisUrl ?? DEFAULT_REDIS_URL);
    this.ownsConnection = options.redis === undefined;
    const onError = options.onError;
    this.redis =
      options.redis ??
      createRedisClient(options.redisUrl ?? DEFAULT_REDIS_URL, {
        maxRetriesPerRequest: 1,
        connectionName: 'warmpool:decisions',
        onError: (error) =>
          onError?.(
            new RedisUnavailableError(this.redisUrl, `decision stream ${this.key}: connection`, error.message, {
              cause: error,
            }),
          ),
      });
  }

  /** Appends one decision record; returns its entry id. */
  async append(record: Record<string, unknown>): Promise<string> {
    this.assertOpen('append');
    const json = this.serialize(record);
    const id = await this.call('append', () =>
      this.redis.xadd(this.key, 'MAXLEN', '~', String(this.maxLen), '*', FIELD, json),
    );
    return id ?? '';
  }

  /** Reads one page of decisions, oldest first. */
  async read(options: DecisionStreamReadOptions = {}): Promise<DecisionStreamPage> {
    this.assertOpen('read');
    const count = this.count(options);
    const start =
      options.afterId !== undefined
        ? `(${options.afterId}`
        : options.sinceMs !== undefined
          ? `${Math.max(0, Math.floor(options.sinceMs))}-0`
          : '-';
    const raw = (await this.call('read', () => this.redis.xrange(this.key, start, '+', 'COUNT', count))) as RawEntry[];
    return this.page(raw);
  }

  /**
   * Yields pages of decisions as they are appended (XREAD BLOCK on a connection of its own). With `sinceMs` or
   * `afterId` it first catches up on older entries. Ends when `signal` aborts; throws `RedisUnavailableError` if
   * Redis fails (resume with `afterId` = the last page's `lastId`).
   */
  async *follow(options: DecisionStreamFollowOptions = {}): AsyncGenerator<DecisionStreamPage> {
    this.assertOpen('follow');
    const { signal } = options;
    const blockMs = Math.max(1, Math.floor(options.blockMs ?? 1000));
    const count = this.count(options);
    let lastId: string;
    if (options.afterId !== undefined || options.sinceMs !== undefined) {
      let page = await this.read(options);
      while (page.lastId !== undefined) {
        if (page.entries.length > 0 || page.invalid.length > 0) yield page;
        lastId = page.lastId;
        if (page.entries.length + page.invalid.length < count || signal?.aborted) break;
        page = await this.read({ afterId: page.lastId, count });
      }
      lastId ??= options.afterId ?? `${Math.max(0, Math.floor(options.sinceMs ?? 0))}-0`;
    } else {
      const newest = (await this.call('follow', () =>
        this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1),
      )) as RawEntry[];
      lastId = newest[0]?.[0] ?? '0-0';
    }
    const blocking = this.redis.duplicate({ maxRetriesPerRequest: 1 });
    blocking.on('error', () => undefined); // a failing XREAD rejects; that is what we report
    const cut = (): void => blocking.disconnect();
    signal?.addEventListener('abort', cut, { once: true });
    try {
      while (!signal?.aborted) {
        let reply: [string, RawEntry[]][] | null;
        try {
          reply = (await blocking.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', this.key, lastId)) as
            | [string, RawEntry[]][]
            | null;
        } catch (err) {
          if (signal?.aborted) return;
          throw new RedisUnavailableError(
            this.redisUrl,
            `decision stream ${this.key}: follow`,
            err instanceof Error ? err.message : String(err),
            { cause: err },
          );
        }
        const raw = reply?.[0]?.[1] ?? [];
        if (raw.length === 0) continue;
        const page = this.page(raw);
        lastId = page.lastId ?? lastId;
        yield page;
      }
    } finally {
      signal?.removeEventListener('abort', cut);
      blocking.disconnect();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsConnection) this.redis.disconnect();
  }

  private page(raw: RawEntry[]): DecisionStreamPage {
    const entries: DecisionStreamEntry[] = [];
    const invalid: DecisionStreamFormatError[] = [];
    for (const [id, fields] of raw) {
      const parsed = this.parse(id, fields);
      if (parsed instanceof DecisionStreamFormatError) invalid.push(parsed);
      else entries.push(parsed);
    }
    return { entries, invalid, lastId: raw.at(-1)?.[0] };
  }

  private parse(id: string, fields: string[]): DecisionStreamEntry | DecisionStreamFormatError {
    const at = fields.findIndex((f, i) => i % 2 === 0 && f === FIELD);
    if (at < 0)
      return new DecisionStreamFormatError(
        this.key,
        id,
        `no "${FIELD}" field (fields: ${fields.filter((_, i) => i % 2 === 0).join(', ') || 'none'})`,
      );
    let value: unknown;
    try {
      value = JSON.parse(fields[at + 1] ?? '');
    } catch (err) {
      return new DecisionStreamFormatError(this.key, id, `"${FIELD}" is not JSON: ${(err as Error).message}`, {
        cause: err,
      });
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return new DecisionStreamFormatError(this.key, id, `"${FIELD}" is JSON but not an object`);
    }
    return { id, timeMs: Number(id.split('-')[0]), record: value as Record<string, unknown> };
  }

  private serialize(record: Record<string, unknown>): string {
    const bad = (allowed: string, cause?: unknown): ValidationError =>
      new ValidationError(
        [{ path: 'record', value: record, allowed }],
        `decision for stream ${this.key}`,
        cause === undefined ? undefined : { cause },
      );
    if (record === null || typeof record !== 'object' || Array.isArray(record)) throw bad('a JSON object');
    try {
      return JSON.stringify(record);
    } catch (err) {
      throw bad(`a JSON-serializable object (${(err as Error).message})`, err);
    }
  }

  private count(options: DecisionStreamReadOptions): number {
    const r = new FieldReader({ count: options.count });
    const count = r.number('count', { default: 1000, min: 1, integer: true });
    if (r.issues.length > 0) throw new ValidationError(r.issues, 'decision stream read options');
    return count;
  }

  private async call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    const what = `decision stream ${this.key}: ${operation}`;
    const pending = work().catch((err: unknown) => {
      throw new RedisUnavailableError(this.redisUrl, what, err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    });
    return withDeadline(
      pending,
      this.operationTimeoutMs,
      () => new RedisUnavailableError(this.redisUrl, what, `no answer within ${this.operationTimeoutMs} ms`),
    );
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new QueueClosedError(`decision stream ${this.key}`, operation);
  }
}
