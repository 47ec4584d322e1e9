import { randomUUID } from 'node:crypto';
import { describe, it } from 'vitest';
import { REDIS_URL, deleteKeys as deleteByPrefix, probeRedis, redisGate } from '@warmpool/testing/redis';

export { REDIS_URL };

const unreachable = await probeRedis(REDIS_URL);

/** `describe` for tests that need the real Redis: CI=true fails when it is unreachable; elsewhere skipped with a message. */
export function describeWithRedis(name: string, body: () => void): void {
  const gate = redisGate(unreachable, process.env.CI === 'true');
  if (gate === 'run') describe(name, body);
  else if (gate === 'fail') {
    describe(name, () => {
      it('needs Redis', () => {
        throw new Error(`Redis at ${REDIS_URL} is unreachable (${unreachable}); CI=true requires it`);
      });
    });
  } else {
    console.warn(`[autoscaler tests] SKIPPED "${name}": Redis at ${REDIS_URL} unreachable (${unreachable})`);
    describe.skip(name, body);
  }
}

/** A key prefix no other test uses. */
export function freshPrefix(label: string): string {
  return `wptest:autoscaler:${label}:${randomUUID().slice(0, 8)}`;
}

/** Deletes the given keys (each key is also a prefix of nothing else: test keys are unique). */
export async function deleteKeys(...keys: string[]): Promise<void> {
  for (const key of keys) await deleteByPrefix(key, REDIS_URL);
}

/** Deletes every key under `prefix` (SCAN, not KEYS). */
export async function deletePrefix(prefix: string): Promise<void> {
  await deleteByPrefix(prefix, REDIS_URL);
}
