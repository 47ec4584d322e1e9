import type { HistorySource, StepObservation } from '@warmpool/domain';
import type { Redis } from 'ioredis';
import { HistoryResponseError } from '../errors/history-response-error.js';
import { HistoryUnavailableError } from '../errors/history-unavailable-error.js';
import { checkReadRange, toObservations, type ReadRange } from '../read-range.js';
import {
  DEFAULT_DEMAND_PREFIX,
  MINUTE_BUCKET_S,
  MINUTE_CHUNK_S,
  PEAK_SUFFIX,
  SECOND_CHUNK_S,
  chunkStartS,
  minuteChunkKey,
  secondChunkKey,
} from './demand-keys.js';
import { closeRedis, messageOf, openRedis, type RedisConnection } from './redis-connection.js';

export interface RedisHistorySourceOptions {
  /** A client to use (the caller closes it) or a URL to open one (closed by `close`). */
  readonly redis: Redis | string;
  /** Key prefix the writer used (default `warmpool:demand`). */
  readonly prefix?: string;
  /** Bound on each command when opening from a URL (default 2,000 ms). */
  readonly commandTimeoutMs?: number;
}

/**
 * Demand history from the counters RedisDemandCounter writes (layout in demand-keys.ts).
 *
 * Steps are built from per-minute buckets when both `fromS` and `stepS` are whole minutes (kept longer),
 * otherwise from per-second buckets. meanPerS = requests in the step / stepS; peakPerS = the highest
 * per-second count inside the step. A step none of whose buckets was written is a gap (NaN); buckets
 * not written inside a step that has some count as zero (the writer heartbeats once a second).
 * `stepS` must be whole seconds; a `fromS` between seconds is allowed, each one-second bucket then
 * counting in the step that holds its start.
 *
 * Degradation: missing keys (never written, or expired) give NaN steps and never throw. `read` throws
 * HistoryUnavailableError (E_HISTORY_UNAVAILABLE) when Redis cannot be reached or a command fails,
 * HistoryResponseError (E_HISTORY_RESPONSE) when a bucket holds something that is not a count, and
 * ValidationError for bad arguments.
 */
export class RedisHistorySource implements HistorySource {
  readonly name = 'redis';
  readonly prefix: string;
  private readonly conn: RedisConnection;

  constructor(opts: RedisHistorySourceOptions) {
    this.prefix = opts.prefix ?? DEFAULT_DEMAND_PREFIX;
    this.conn = openRedis(opts.redis, opts.commandTimeoutMs ?? 2000);
  }

  async read(model: string, fromS: number, toS: number, stepS: number): Promise<StepObservation[]> {
    const range = checkReadRange(this.name, model, fromS, toS, stepS, { integerStep: true });
    if (range.count === 0) return [];
    const byMinute = fromS % MINUTE_BUCKET_S === 0 && stepS % MINUTE_BUCKET_S === 0;
    const chunkS = byMinute ? MINUTE_CHUNK_S : SECOND_CHUNK_S;
    const endS = fromS + range.count * stepS;
    const keys: string[] = [];
    for (let c = chunkStartS(Math.ceil(fromS), chunkS); c < endS; c += chunkS) {
      keys.push(byMinute ? minuteChunkKey(this.prefix, model, c) : secondChunkKey(this.prefix, model, c));
    }
    const hashes = await this.fetch(keys);
    const sum = new Float64Array(range.count);
    const peak = new Float64Array(range.count);
    const seen = new Uint8Array(range.count);
    hashes.forEach((hash, k) => {
      for (const [field, text] of Object.entries(hash)) {
        const isPeak = field.endsWith(PEAK_SUFFIX);
        const bucketS = Number(isPeak ? field.slice(0, -PEAK_SUFFIX.length) : field);
        const value = Number(text);
        if (!Number.isInteger(bucketS) || !/^\d+$/.test(text)) {
          throw new HistoryResponseError(
            'redis',
            this.conn.target,
            `key ${keys[k]} field ${JSON.stringify(field)} holds ${JSON.stringify(text)}, not a bucket count`,
          );
        }
        if (bucketS < fromS || bucketS >= endS) continue;
        const i = Math.floor((bucketS - fromS) / stepS);
        if (isPeak) {
          if (value > peak[i]!) peak[i] = value;
          continue;
        }
        seen[i] = 1;
        sum[i] += value;
        if (!byMinute && value > peak[i]!) peak[i] = value;
      }
    });
    return this.steps(range, sum, peak, seen);
  }

  async close(): Promise<void> {
    await closeRedis(this.conn);
  }

  private steps(range: ReadRange, sum: Float64Array, peak: Float64Array, seen: Uint8Array): StepObservation[] {
    const mean = new Float64Array(range.count);
    for (let i = 0; i < range.count; i++) mean[i] = seen[i] ? sum[i]! / range.stepS : NaN;
    return toObservations(range, mean, peak);
  }

  private async fetch(keys: readonly string[]): Promise<Record<string, string>[]> {
    const pipeline = this.conn.client.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    let results: [Error | null, unknown][] | null;
    try {
      results = await pipeline.exec();
    } catch (err) {
      throw new HistoryUnavailableError('redis', this.conn.target, `reading demand failed: ${messageOf(err)}`, {
        cause: err,
      });
    }
    if (results === null)
      throw new HistoryUnavailableError('redis', this.conn.target, 'reading demand failed: no reply');
    return results.map(([err, value], k) => {
      if (err?.message.startsWith('WRONGTYPE')) {
        throw new HistoryResponseError(
          'redis',
          this.conn.target,
          `key ${keys[k]} is not a hash of bucket counts: ${err.message}`,
          { cause: err },
        );
      }
      if (err)
        throw new HistoryUnavailableError('redis', this.conn.target, `reading ${keys[k]} failed: ${err.message}`, {
          cause: err,
        });
      return value as Record<string, string>;
    });
  }
}
