import type { StepObservation } from '@warmpool/domain';

/** What a demand feed saw at one tick. */
export interface DemandPoll {
  /** Forecast steps completed since the last poll, oldest first. */
  readonly steps: readonly StepObservation[];
  /** Mean demand over the last tick (requests/s); NaN when unknown. */
  readonly demandPerS: number;
  /** Busiest second over the last tick; NaN when unknown. */
  readonly peakPerS: number;
  /** Something degraded the reading (a gap, a stale source). */
  readonly note?: string;
  /** Request counts of the complete seconds new since the last poll, oldest first (per-second feeds only). */
  readonly seconds?: readonly number[];
}

/** One model's live demand: completed steps for the forecaster and the latest tick for the planner's safety net. */
export interface DemandFeed {
  readonly name: string;
  /** Steps already covered (by backfill): the feed continues at `nextStepS`. */
  startAt(nextStepS: number): void;
  poll(nowS: number): Promise<DemandPoll>;
}

/** Per-second request counts of a model over the last `seconds` seconds (the local load balancer's `/demand`). */
export interface PerSecondSeries {
  /** Epoch ms of the first bucket. */
  readonly startMs: number;
  /** Oldest first; the last one may be the current, partial second. */
  readonly counts: readonly number[];
}

export type PerSecondDemand = (model: string, seconds: number) => Promise<PerSecondSeries>;
