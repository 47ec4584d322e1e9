import { MODEL_NAME_PATTERN, ValidationError, type ValidationIssue } from '@warmpool/domain';
import type { Redis } from 'ioredis';
import { HistoryUnavailableError } from '../errors/history-unavailable-error.js';
import {
  DEFAULT_DEMAND_PREFIX,
  MINUTE_BUCKET_S,
  MINUTE_CHUNK_S,
  RECORD_SCRIPT,
  SECOND_CHUNK_S,
  chunkStartS,
  minuteChunkKey,
  secondChunkKey,
} from './demand-keys.js';
import { closeRedis, messageOf, openRedis, type RedisConnection } from './redis-connection.js';

export interface RedisDemandCounterOptions {
  /** A client to use (the caller closes it) or a URL to open one (closed by `close`). */
  readonly redis: Redis | string;
  /** Key prefix (default `warmpool:demand`). */
  readonly prefix?: string;
  /** How long per-second buckets are kept after the last write (default 6 h). */
  readonly secondRetentionS?: number;
  /** How long per-minute buckets are kept after the last write (default 14 days). */
  readonly minuteRetentionS?: number;
  /** Bound on each command when opening from a URL (default 2,000 ms). */
  readonly commandTimeoutMs?: number;
}

/** One count at one time, for `recordMany`. */
export interface DemandCount {
  /** Epoch seconds (floored to the second). */
  readonly atS: number;
  /** Requests (a non-negative integer; 0 is a heartbeat). */
  readonly count: number;
}

/**
 * Writes per-model request counters into Redis for RedisHistorySource (layout in demand-keys.ts): the
 * load balancer calls `record` per request (or per batch) and `heartbeat` at least once a second while it
 * is alive, so idle seconds read as zero demand rather than missing data. Time is passed in.
 * Many writers may share the counters: each write is one atomic script.
 */
export class RedisDemandCounter {
  readonly prefix: string;
  private readonly conn: RedisConnection;
  private readonly secondTtlS: number;
  private readonly minuteTtlS: number;

  constructor(opts: RedisDemandCounterOptions) {
    const issues: ValidationIssue[] = [];
    const ttl = (key: string, value: number | undefined, def: number, min: number): number => {
      if (value === undefined) return def;
      if (!Number.isInteger(value) || value < min)
        issues.push({ path: key, value, allowed: `an integer >= ${min} (seconds)` });
      return value;
    };
    this.secondTtlS = ttl('secondRetentionS', opts.secondRetentionS, 6 * 3600, SECOND_CHUNK_S);
    this.minuteTtlS = ttl('minuteRetentionS', opts.minuteRetentionS, 14 * 86_400, MINUTE_CHUNK_S);
    if (issues.length > 0) throw new ValidationError(issues, 'RedisDemandCounter options');
    this.prefix = opts.prefix ?? DEFAULT_DEMAND_PREFIX;
    this.conn = openRedis(opts.redis, opts.commandTimeoutMs ?? 2000);
  }

  /** Adds `count` requests of `model` at `atS` (epoch seconds). */
  async record(model: string, atS: number, count = 1): Promise<void> {
    await this.recordMany(model, [{ atS, count }]);
  }

  /** Marks `atS` as observed with no extra requests (zero demand, not a gap). */
  async heartbeat(model: string, atS: number): Promise<void> {
    await this.recordMany(model, [{ atS, count: 0 }]);
  }

  /** Several counts in one round trip (e.g. a batch flushed by the load balancer, or a backfill). */
  async recordMany(model: string, counts: Iterable<DemandCount>): Promise<void> {
    const list = [...counts];
    this.check(model, list);
    if (list.length === 0) return;
    const pipeline = this.conn.client.pipeline();
    for (const { atS, count } of list) {
      const secondS = Math.floor(atS);
      const minuteS = chunkStartS(secondS, MINUTE_BUCKET_S);
      pipeline.eval(
        RECORD_SCRIPT,
        2,
        secondChunkKey(this.prefix, model, chunkStartS(secondS, SECOND_CHUNK_S)),
        minuteChunkKey(this.prefix, model, chunkStartS(secondS, MINUTE_CHUNK_S)),
        String(secondS),
        String(minuteS),
        String(count),
        String(this.secondTtlS),
        String(this.minuteTtlS),
      );
    }
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      throw new HistoryUnavailableError(
        'redis',
        this.conn.target,
        `writing demand of ${model} failed: ${messageOf(err)}`,
        { cause: err },
      );
    }
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (results === null || failed) {
      throw new HistoryUnavailableError(
        'redis',
        this.conn.target,
        `writing demand of ${model} failed: ${messageOf(failed ?? 'no reply')}`,
        {
          cause: failed ?? undefined,
        },
      );
    }
  }

  async close(): Promise<void> {
    await closeRedis(this.conn);
  }

  private check(model: string, list: readonly DemandCount[]): void {
    const issues: ValidationIssue[] = [];
    if (typeof model !== 'string' || !MODEL_NAME_PATTERN.test(model))
      issues.push({ path: 'model', value: model, allowed: 'a model name' });
    list.forEach(({ atS, count }, i) => {
      if (!Number.isFinite(atS) || atS < 0)
        issues.push({ path: `[${i}].atS`, value: atS, allowed: 'epoch seconds >= 0' });
      if (!Number.isSafeInteger(count) || count < 0)
        issues.push({ path: `[${i}].count`, value: count, allowed: 'an integer >= 0' });
    });
    if (issues.length > 0) throw new ValidationError(issues, 'demand count');
  }
}
