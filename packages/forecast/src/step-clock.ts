/** Default step width before the first two observations reveal it (the planner's tick). */
export const DEFAULT_STEP_S = 5;

/**
 * Maps observation start times to step indices. The step width is given or inferred from the
 * first two observations; steps that go back in time are refused (`advance` returns -1).
 */
export class StepClock {
  private fixedStepS: number | undefined;
  private originS = NaN;
  private lastIdx = -1;
  private lastStartS = NaN;

  constructor(stepS?: number) {
    this.fixedStepS = stepS;
  }

  get stepS(): number {
    return this.fixedStepS ?? DEFAULT_STEP_S;
  }

  get known(): boolean {
    return this.fixedStepS !== undefined;
  }

  /** Index of the latest accepted step, -1 before any. */
  get index(): number {
    return this.lastIdx;
  }

  /** Start of the step after the latest accepted one (seconds), NaN before any. */
  get nextStartS(): number {
    return Number.isFinite(this.lastStartS) ? this.lastStartS + this.stepS : NaN;
  }

  /** Start time of step `idx` on the caller's clock. */
  startOf(idx: number): number {
    return this.originS + idx * this.stepS;
  }

  /**
   * Accepts a step starting at `startS` and returns its index, or -1 when it is not after the
   * previous one. `inferred` is true on the call that fixed the step width.
   */
  advance(startS: number): { idx: number; inferred: boolean } {
    if (!Number.isFinite(startS)) return { idx: -1, inferred: false };
    if (this.lastIdx < 0) {
      this.originS = startS;
      this.lastStartS = startS;
      this.lastIdx = 0;
      return { idx: 0, inferred: false };
    }
    if (!(startS > this.lastStartS)) return { idx: -1, inferred: false };
    let inferred = false;
    if (this.fixedStepS === undefined) {
      this.fixedStepS = startS - this.lastStartS;
      inferred = true;
    }
    const idx = Math.max(this.lastIdx + 1, Math.round((startS - this.originS) / this.stepS));
    this.lastIdx = idx;
    this.lastStartS = startS;
    return { idx, inferred };
  }
}
