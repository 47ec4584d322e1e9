import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

/** The Redis tests use: `REDIS_URL`, else the loopback default. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Connects once and pings: undefined when Redis answers, else why not. */
export async function probeRedis(url: string = REDIS_URL): Promise<string | undefined> {
  const r = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 1000,
  });
  r.on('error', () => undefined);
  try {
    await r.connect();
    await r.ping();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    r.disconnect();
  }
}

const unreachableAtImport = await probeRedis();

/** What a Redis test block does: run, fail because CI requires Redis, or skip with a visible message. */
export type RedisGate = 'run' | 'fail' | 'skip';

/** Redis reachable: run. Unreachable: fail under `CI=true` (Redis is required there), else skip. */
export function redisGate(unreachable: string | undefined, inCi: boolean): RedisGate {
  if (unreachable === undefined) return 'run';
  return inCi ? 'fail' : 'skip';
}

export interface RedisTestEnvOptions {
  /** Names the suite in the skip message (`[<suite> tests] SKIPPED ...`). */
  readonly suite: string;
  /** Start of every `freshPrefix` (default `wptest`). */
  readonly keyPrefix?: string;
}

export interface RedisTestEnv {
  /**
   * `describe` for tests that need the real Redis. Redis down: in CI (`CI=true`) a failing test says so;
   * elsewhere the block is skipped with a visible message.
   */
  describeWithRedis(name: string, body: () => void): void;
  /** A key prefix no other test uses: `<keyPrefix>:<label>:<8 random hex>`. */
  freshPrefix(label: string): string;
}

/** The Redis test helpers of one suite; whether Redis is reachable is probed once, at import. */
export function redisTestEnv(options: RedisTestEnvOptions): RedisTestEnv {
  const keyPrefix = options.keyPrefix ?? 'wptest';
  return {
    describeWithRedis(name: string, body: () => void): void {
      const unreachable = unreachableAtImport;
      switch (redisGate(unreachable, process.env.CI === 'true')) {
        case 'run':
          describe(name, body);
          break;
        case 'fail':
          describe(name, () => {
            it('needs Redis', () => {
              throw new Error(`Redis at ${REDIS_URL} is unreachable (${unreachable}); CI=true requires it`);
            });
          });
          break;
        case 'skip':
          console.warn(
            `[${options.suite} tests] SKIPPED "${name}": Redis at ${REDIS_URL} unreachable (${unreachable})`,
          );
          describe.skip(name, body);
          break;
      }
    },
    freshPrefix(label: string): string {
      return `${keyPrefix}:${label}:${randomUUID().slice(0, 8)}`;
    },
  };
}

/** Deletes every key under `prefix` (SCAN, not KEYS). */
export async function deleteKeys(prefix: string, url: string = REDIS_URL): Promise<void> {
  const r = new Redis(url, { maxRetriesPerRequest: 1 });
  r.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
