import { Redis } from 'ioredis';

/** A Redis client the adapter uses, and whether the adapter opened it (and so must close it). */
export interface RedisConnection {
  readonly client: Redis;
  readonly owned: boolean;
  /** Where it points, password left out: for error messages. */
  readonly target: string;
}

/**
 * Uses the given client, or opens one to `url` that fails fast instead of queueing forever while
 * Redis is away: one retry per command and a bound on each command.
 */
export function openRedis(redis: Redis | string, commandTimeoutMs: number): RedisConnection {
  if (typeof redis !== 'string') {
    return {
      client: redis,
      owned: false,
      target: `redis://${redis.options.host ?? '127.0.0.1'}:${redis.options.port ?? 6379}`,
    };
  }
  const client = new Redis(redis, {
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
  });
  // Connection errors surface on the commands; without a listener ioredis would also print them.
  client.on('error', () => undefined);
  return { client, owned: true, target: redactUrl(redis) };
}

export async function closeRedis(conn: RedisConnection): Promise<void> {
  if (!conn.owned) return;
  if (conn.client.status !== 'ready') {
    conn.client.disconnect();
    return;
  }
  try {
    await conn.client.quit();
  } catch {
    conn.client.disconnect();
  }
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, '//***@');
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
