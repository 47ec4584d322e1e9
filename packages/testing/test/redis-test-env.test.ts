import { describe, expect, it } from 'vitest';
import { probeRedis, redisGate, redisTestEnv } from '../src/redis/redis-test-env.js';

describe('redis test environment', () => {
  it('runs with Redis; without it fails under CI=true and skips elsewhere', () => {
    expect(redisGate(undefined, true)).toBe('run');
    expect(redisGate(undefined, false)).toBe('run');
    expect(redisGate('connect ECONNREFUSED', true)).toBe('fail');
    expect(redisGate('connect ECONNREFUSED', false)).toBe('skip');
  });

  it('fresh prefixes start with the suite key prefix and differ each call', () => {
    const env = redisTestEnv({ suite: 'history', keyPrefix: 'wptest:history' });
    const a = env.freshPrefix('locks');
    expect(a).toMatch(/^wptest:history:locks:[0-9a-f]{8}$/);
    expect(env.freshPrefix('locks')).not.toBe(a);
    expect(redisTestEnv({ suite: 'queue' }).freshPrefix('q')).toMatch(/^wptest:q:[0-9a-f]{8}$/);
  });

  it('the probe names why a closed loopback port is unreachable', async () => {
    expect(await probeRedis('redis://127.0.0.1:1')).toMatch(/ECONNREFUSED|connect/i);
  });
});
