/** Monotonic milliseconds; injected wherever logic depends on time. */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => performance.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private t = 0) {}

  nowMs(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }
}
