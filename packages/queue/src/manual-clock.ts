import type { TimerClock, TimerHandle } from './interfaces/timer-clock.js';

interface PendingTimer {
  readonly seq: number;
  readonly dueAtMs: number;
  readonly callback: () => void;
}

/** Lets pending promise callbacks (a handler's `await`s) run before time moves on. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/**
 * A fake {@link TimerClock} for tests and the simulator: time stands still until `advanceBy`/`advanceTo`,
 * which fire due timers in time order (ties in the order they were set) and let async work settle between them.
 */
export class ManualClock implements TimerClock {
  private nowMs: number;
  private seq = 0;
  private readonly timers = new Map<number, PendingTimer>();

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const seq = ++this.seq;
    this.timers.set(seq, { seq, dueAtMs: this.nowMs + Math.max(0, delayMs), callback });
    return seq;
  }

  clearTimer(handle: TimerHandle): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  /** Number of timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  async advanceBy(ms: number): Promise<void> {
    await this.advanceTo(this.nowMs + ms);
  }

  async advanceTo(targetMs: number): Promise<void> {
    await settle();
    for (;;) {
      const next = this.nextDue(targetMs);
      if (!next) break;
      this.timers.delete(next.seq);
      this.nowMs = Math.max(this.nowMs, next.dueAtMs);
      next.callback();
      await settle();
    }
    this.nowMs = Math.max(this.nowMs, targetMs);
    await settle();
  }

  private nextDue(targetMs: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers.values()) {
      if (t.dueAtMs > targetMs) continue;
      if (!best || t.dueAtMs < best.dueAtMs || (t.dueAtMs === best.dueAtMs && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
