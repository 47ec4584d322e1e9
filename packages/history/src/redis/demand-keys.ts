/**
 * Redis layout of the per-model demand counters (written by RedisDemandCounter, read by RedisHistorySource).
 *
 * - Per-second buckets, one hash per model and hour: key `{prefix}:{model}:1s:{hourStartS}`, field
 *   `{secondStartS}` = requests that arrived in that second. Kept `secondRetentionS` after the last write.
 * - Per-minute buckets, one hash per model and day: key `{prefix}:{model}:60s:{dayStartS}`, fields
 *   `{minuteStartS}` = requests in that minute and `{minuteStartS}:peak` = the highest per-second count
 *   inside it. Kept `minuteRetentionS` after the last write.
 *
 * A field that exists means "the writer was alive in that bucket": a heartbeat writes 0, so a bucket
 * with no field is missing data (a gap), not zero requests. `{model}` in braces is a Redis Cluster hash
 * tag: both keys of one write land in the same slot. Times are epoch seconds.
 */
export const SECOND_BUCKET_S = 1;
export const MINUTE_BUCKET_S = 60;
export const SECOND_CHUNK_S = 3600;
export const MINUTE_CHUNK_S = 86_400;
export const DEFAULT_DEMAND_PREFIX = 'warmpool:demand';

export function secondChunkKey(prefix: string, model: string, chunkStartS: number): string {
  return `${prefix}:{${model}}:1s:${chunkStartS}`;
}

export function minuteChunkKey(prefix: string, model: string, chunkStartS: number): string {
  return `${prefix}:{${model}}:60s:${chunkStartS}`;
}

export const PEAK_SUFFIX = ':peak';

/**
 * One write, atomically: add to the second bucket, add to the minute bucket, raise the minute's peak to
 * the second's new total, refresh both TTLs. Returns the second's new total.
 * KEYS: second hash, minute hash. ARGV: second field, minute field, count, second TTL s, minute TTL s.
 */
export const RECORD_SCRIPT = `
local c = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
redis.call('HINCRBY', KEYS[2], ARGV[2], ARGV[3])
local pf = ARGV[2] .. '${PEAK_SUFFIX}'
local p = redis.call('HGET', KEYS[2], pf)
if (not p) or c > tonumber(p) then redis.call('HSET', KEYS[2], pf, c) end
redis.call('EXPIRE', KEYS[2], ARGV[5])
return c
`;

/** Start of the chunk (hour or day) holding `timeS`. */
export function chunkStartS(timeS: number, chunkS: number): number {
  return Math.floor(timeS / chunkS) * chunkS;
}
