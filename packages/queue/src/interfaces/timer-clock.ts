/** Opaque handle of a timer set through a {@link TimerClock}. */
export type TimerHandle = unknown;

/** Time and timers, injected so tests can drive time by hand (see `ManualClock`). */
export interface TimerClock {
  /** Epoch ms. */
  now(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** The real clock: `Date.now` and Node timers. */
export const systemClock: TimerClock = {
  now: () => Date.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, Math.max(0, delayMs)),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};
