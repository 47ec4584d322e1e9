import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { describe, it } from 'vitest';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const IN_CI = process.env.CI === 'true';

/** PING over a raw socket: no client library needed to decide whether Redis tests run. */
async function probe(): Promise<string | undefined> {
  const u = new URL(REDIS_URL);
  return new Promise((resolve) => {
    const s = connect(Number(u.port || 6379), u.hostname);
    const done = (why: string | undefined): void => {
      s.destroy();
      resolve(why);
    };
    s.setTimeout(1000, () => done('timeout'));
    s.on('error', (e) => done(e.message));
    s.on('connect', () => s.write(u.password ? `AUTH ${decodeURIComponent(u.password)}\r\nPING\r\n` : 'PING\r\n'));
    s.on('data', (b) => (b.toString().includes('PONG') ? done(undefined) : b.toString().startsWith('-') ? done(b.toString().trim()) : undefined));
  });
}

const unreachable = await probe();

/** `describe` for tests that need the real Redis: CI=true fails when it is unreachable; elsewhere skipped with a message. */
export function describeWithRedis(name: string, body: () => void): void {
  if (unreachable === undefined) describe(name, body);
  else if (IN_CI) {
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

/** DEL keys over a raw socket (test cleanup without a client library). */
export async function deleteKeys(...keys: string[]): Promise<void> {
  const u = new URL(REDIS_URL);
  const parts = ['DEL', ...keys];
  const cmd = `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
  await new Promise<void>((resolve) => {
    const s = connect(Number(u.port || 6379), u.hostname);
    s.on('error', () => resolve());
    s.on('connect', () => s.write((u.password ? `AUTH ${decodeURIComponent(u.password)}\r\n` : '') + cmd));
    s.on('data', (b) => {
      if (b.toString().includes(':')) {
        s.destroy();
        resolve();
      }
    });
  });
}

/** Deletes every key under `prefix` (SCAN, not KEYS) with a short-lived client. */
export async function deletePrefix(prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
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
