/** One past recommendation, kept for the scale-down stabilization window. */
export interface Recommendation {
  readonly atS: number;
  readonly replicas: number;
}

/** Everything the planner carries from one tick to the next for one model (immutable values). */
export interface PlannerState {
  /** Recommendations inside the stabilization window, oldest first. */
  readonly recommendations: readonly Recommendation[];
  /** Until when panic mode holds (no scale-down), seconds. */
  readonly panicUntilS: number;
  /** Target of the last decision (ready + warming asked for). */
  readonly lastTarget: number;
  /**
   * Scale-up targets of the last lead time (two while replicas are warming), oldest first: capacity still starting,
   * which a scale-down does not release (absent: none).
   */
  readonly asks?: readonly Recommendation[];
}

export const INITIAL_PLANNER_STATE: PlannerState = {
  recommendations: [],
  panicUntilS: Number.NEGATIVE_INFINITY,
  lastTarget: 0,
};
