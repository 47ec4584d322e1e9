import { Redis, type RedisOptions } from 'ioredis';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The URL with any password replaced by `***`, safe to put in logs and errors. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

export interface RedisClientOptions {
  /** Longest wait between reconnect attempts. Default 2000. */
  readonly reconnectMaxDelayMs?: number;
  /** Reports connection errors (ioredis would print them otherwise). */
  readonly onError?: (error: Error) => void;
  /** `null` for connections BullMQ workers block on; a number fails a command after that many reconnects. */
  readonly maxRetriesPerRequest?: number | null;
  /** Name shown by `CLIENT LIST`. */
  readonly connectionName?: string;
}

/**
 * An ioredis client that reconnects forever (backing off up to `reconnectMaxDelayMs`); callers bound their
 * own waits (see `withDeadline`). Connection errors go to `onError`.
 */
export function createRedisClient(url: string, options: RedisClientOptions = {}): Redis {
  const maxDelayMs = options.reconnectMaxDelayMs ?? 2000;
  const redisOptions: RedisOptions = {
    maxRetriesPerRequest: options.maxRetriesPerRequest === undefined ? 20 : options.maxRetriesPerRequest,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 10), maxDelayMs),
    connectTimeout: 5000,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  };
  const client = new Redis(url, redisOptions);
  const onError = options.onError;
  client.on('error', (err: Error) => onError?.(err));
  return client;
}

const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

/** True for errors that mean "cannot talk to Redis" (as opposed to Redis answering with an error). */
export function isConnectionError(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
  return /Connection is closed|max retries per request|Stream isn't writeable|Command timed out|connect ETIMEDOUT/i.test(
    error.message,
  );
}

/**
 * Races `work` against a deadline; on timeout rejects with `onTimeout()`. The losing `work` promise gets a
 * handler so its late rejection is not unhandled.
 */
export async function withDeadline<T>(work: Promise<T>, timeoutMs: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), timeoutMs);
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
