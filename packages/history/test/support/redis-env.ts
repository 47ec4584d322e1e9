import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, it } from 'vitest';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const IN_CI = process.env.CI === 'true';

async function probe(): Promise<string | undefined> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
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

const unreachable = await probe();

/**
 * `describe` for tests that need the real Redis. Redis down: in CI (`CI=true`) a failing test says so;
 * elsewhere the block is skipped with a visible message.
 */
export function describeWithRedis(name: string, body: () => void): void {
  if (unreachable === undefined) {
    describe(name, body);
  } else if (IN_CI) {
    describe(name, () => {
      it('needs Redis', () => {
        throw new Error(`Redis at ${REDIS_URL} is unreachable (${unreachable}); CI=true requires it`);
      });
    });
  } else {
    console.warn(`[history tests] SKIPPED "${name}": Redis at ${REDIS_URL} unreachable (${unreachable})`);
    describe.skip(name, body);
  }
}

/** A key prefix no other test uses. */
export function freshPrefix(label: string): string {
  return `wptest:history:${label}:${randomUUID().slice(0, 8)}`;
}

/** Deletes every key under `prefix` (SCAN, not KEYS). */
export async function deleteKeys(prefix: string): Promise<void> {
  const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
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
