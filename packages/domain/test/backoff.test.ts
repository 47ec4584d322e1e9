import { describe, expect, it } from 'vitest';
import { Backoff, ValidationError } from '../src/index.js';

function recording(options: ConstructorParameters<typeof Backoff>[0] = {}): { backoff: Backoff; sleeps: number[] } {
  const sleeps: number[] = [];
  const backoff = new Backoff({ sleep: async (ms) => void sleeps.push(ms), ...options });
  return { backoff, sleeps };
}

describe('Backoff', () => {
  it('full jitter: retry n waits uniform [0, min(max, base * 2^(n-1)))', () => {
    const top = new Backoff({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.9999 });
    expect([1, 2, 3, 4, 5].map((n) => top.delayMs(n))).toEqual([99, 199, 399, 799, 999]);
    const zero = new Backoff({ random: () => 0 });
    expect(zero.delayMs(3)).toBe(0);
  });

  it("waits at least the server's Retry-After, capped at maxRetryAfterMs", () => {
    const b = new Backoff({ baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000, random: () => 0 });
    expect(b.delayMs(1, 2000)).toBe(2000);
    expect(b.delayMs(1, 60_000)).toBe(5000);
    expect(new Backoff({ baseDelayMs: 1000, maxDelayMs: 8000, random: () => 0.9999 }).delayMs(4, 10)).toBe(7999);
  });

  it('rejects bad options naming each one and the source', () => {
    expect(
      () => new Backoff({ maxAttempts: 0, baseDelayMs: -1, maxDelayMs: Number.NaN, maxRetryAfterMs: -5 }, 'test retry'),
    ).toThrow(ValidationError);
    try {
      new Backoff({ maxAttempts: 0, baseDelayMs: -1 }, 'test retry');
    } catch (e) {
      expect((e as Error).message).toMatch(/test retry.*retry\.maxAttempts/s);
      expect((e as Error).message).toMatch(/retry\.baseDelayMs/);
    }
  });

  it('retries retryable failures until success, waiting the jittered delays', async () => {
    const { backoff, sleeps } = recording({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 });
    const seen: number[] = [];
    const result = await backoff.run(
      async (attempt) => {
        seen.push(attempt);
        if (attempt < 3) throw new Error(`fail ${attempt}`);
        return 'ok';
      },
      () => ({ retryable: true }),
    );
    expect(result).toBe('ok');
    expect(seen).toEqual([1, 2, 3]);
    expect(sleeps).toEqual([50, 100]);
  });

  it('gives up at once on a failure that is not retryable, and after maxAttempts on one that is', async () => {
    const { backoff, sleeps } = recording({ maxAttempts: 3 });
    const giveUps: [number, boolean][] = [];
    const giveUp = (e: unknown, attempt: number, exhausted: boolean): Error => {
      giveUps.push([attempt, exhausted]);
      return new Error(`gave up: ${(e as Error).message}`);
    };
    await expect(
      backoff.run(
        async () => Promise.reject(new Error('bad request')),
        () => ({ retryable: false }),
        { giveUp },
      ),
    ).rejects.toThrow('gave up: bad request');
    expect(sleeps).toEqual([]);
    const retries: number[] = [];
    await expect(
      backoff.run(
        async () => Promise.reject(new Error('down')),
        () => ({ retryable: true, retryAfterMs: 7 }),
        { giveUp, onRetry: (_e, attempt) => retries.push(attempt) },
      ),
    ).rejects.toThrow('gave up: down');
    expect(giveUps).toEqual([
      [1, false],
      [3, true],
    ]);
    expect(retries).toEqual([1, 2]);
    expect(sleeps.every((ms) => ms >= 7)).toBe(true);
  });

  it('throws the last error itself without giveUp', async () => {
    const err = new Error('x');
    await expect(
      recording({ maxAttempts: 2 }).backoff.run(
        async () => Promise.reject(err),
        () => ({ retryable: true }),
      ),
    ).rejects.toBe(err);
  });
});
