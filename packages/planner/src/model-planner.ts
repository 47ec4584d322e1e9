import {
  leadTimeTotalS,
  type Forecaster,
  type ForecastBand,
  type ModelSpec,
  type StepObservation,
} from '@warmpool/domain';
import { DEFAULT_PLANNER_OPTIONS, plan, type PlannerOptions, type PlanResult } from './plan.js';
import { INITIAL_PLANNER_STATE, type PlannerState } from './planner-state.js';
import type { Observation } from './observation.js';
import { stepQuantile } from './step-quantile.js';
import { BurstTracker } from './burst-tracker.js';
import type { BurstHistory } from './burst-history.js';
import { DEFAULT_QUANTILE_TUNING, QuantileTuner, type QuantileTuningOptions } from './quantile-tuner.js';

export interface ModelPlannerOptions {
  readonly spec: ModelSpec;
  /** Forecast step, seconds (the history's resolution, at least the tick). */
  readonly stepS: number;
  /** Planner tick, seconds (how often `tick` is called). */
  readonly tickS: number;
  /** Builds the model's forecaster for a band quantile and step. */
  readonly makeForecaster: (quantile: number, stepS: number) => Forecaster;
  readonly planner?: Partial<PlannerOptions>;
  /**
   * How the band quantile is tuned from the model's SLA pressure, between the spec's `upperQuantile` and
   * `upperQuantileMax` (default `DEFAULT_QUANTILE_TUNING`; a spec with both equal is not tuned).
   */
  readonly quantileTuning?: Partial<QuantileTuningOptions>;
}

/**
 * One model's planning loop, shared by the simulator and the daemon so both make the same decision on the same
 * inputs: completed demand steps feed the forecaster; each tick forecasts the window and calls the pure `plan()`.
 * Deterministic; time is always passed in.
 */
export class ModelPlanner {
  readonly spec: ModelSpec;
  readonly stepS: number;
  private readonly forecaster: Forecaster;
  private readonly tuner: QuantileTuner | null;
  private readonly leadS: number;
  private readonly tickS: number;
  private quantileNow: number;
  private readonly options: PlannerOptions;
  private readonly horizonSteps: number;
  private band: ForecastBand | null = null;
  private plannerState: PlannerState = INITIAL_PLANNER_STATE;
  /** Mean demand of the last ticks, oldest first, for the sustained-rise estimate. */
  private readonly recentMeans: number[] = [];
  private lastTickS = Number.NaN;
  private bursts: BurstTracker;
  /** One missed request is worth serving this many (the spec's risk knob, or what its upper quantile implies). */
  private readonly missCostServedRequests: number;

  constructor(o: ModelPlannerOptions) {
    this.spec = o.spec;
    this.stepS = o.stepS;
    const leadS = leadTimeTotalS(o.spec.leadTime);
    this.leadS = leadS;
    this.tickS = o.tickS;
    this.quantileNow = stepQuantile(o.spec.upperQuantile, o.stepS, leadS, o.tickS);
    this.forecaster = o.makeForecaster(this.quantileNow, o.stepS);
    const tuning = { ...DEFAULT_QUANTILE_TUNING, ...o.quantileTuning };
    this.tuner =
      o.spec.upperQuantileMax > o.spec.upperQuantile && this.forecaster.setQuantile
        ? new QuantileTuner(o.spec.upperQuantile, o.spec.upperQuantileMax, tuning)
        : null;
    this.options = { ...DEFAULT_PLANNER_OPTIONS, ...o.planner };
    this.horizonSteps = this.horizonStepsFor(leadS);
    this.bursts = new BurstTracker(o.spec.capacityPerReplicaPerS);
    this.missCostServedRequests = o.spec.missCostServedRequests ?? 1 / (1 - o.spec.upperQuantile);
  }

  /** The band quantile planned with now (the spec's, stretched for long steps; tuned when tuning is on). */
  get bandQuantile(): number {
    return this.quantileNow;
  }

  /** The spec-level quantile the tuning has reached (the spec's when tuning is off). */
  get tunedQuantile(): number {
    return this.tuner ? this.tuner.quantile : this.spec.upperQuantile;
  }

  private horizonStepsFor(leadS: number): number {
    return Math.ceil((leadS + this.spec.horizonS) / this.stepS) + 2;
  }

  /** Feeds one completed step of demand (from history or live counters), oldest first. */
  observeStep(step: StepObservation): void {
    this.forecaster.observe(step);
    this.band = null;
  }

  /**
   * The burst history learnt from the ticks (plain JSON, for a checkpoint): unlike the forecaster's state it cannot be
   * rebuilt from the demand steps, since it is learnt from each tick's busiest second.
   */
  burstHistory(): BurstHistory {
    return this.bursts.toHistory();
  }

  /** Goes on from a saved burst history (checked with `readBurstHistory`), replacing what the ticks taught so far. */
  restoreBurstHistory(history: BurstHistory): void {
    this.bursts = BurstTracker.fromHistory(this.spec.capacityPerReplicaPerS, history);
  }

  get state(): PlannerState {
    return this.plannerState;
  }

  /** The band the next tick plans with (forecast lazily, once per new step). */
  forecast(leadS?: number): ForecastBand {
    const steps = leadS === undefined ? this.horizonSteps : Math.max(this.horizonSteps, this.horizonStepsFor(leadS));
    if (!this.band || this.band.p50PerS.length < steps) this.band = this.forecaster.forecast(steps);
    return this.band;
  }

  /**
   * Sustained rise over the last ticks: twice the smallest tick-to-tick increase of the mean when every one of the
   * last three rose (a steady ramp; the factor 2 covers the ramp steepening before the window ends), else 0 (a single
   * jump or noise is not extrapolated).
   */
  private riseFrom(nowS: number, demandPerS: number): number {
    const dtS = nowS - this.lastTickS;
    this.lastTickS = nowS;
    if (!Number.isFinite(demandPerS) || !(dtS > 0)) {
      this.recentMeans.length = 0;
      return 0;
    }
    this.recentMeans.push(demandPerS);
    if (this.recentMeans.length > 4) this.recentMeans.shift();
    if (this.recentMeans.length < 4) return 0;
    let minRise = Number.POSITIVE_INFINITY;
    for (let i = 1; i < this.recentMeans.length; i++)
      minRise = Math.min(minRise, this.recentMeans[i]! - this.recentMeans[i - 1]!);
    return minRise > 0 ? (2 * minRise) / dtS : 0;
  }

  /** Plans at `nowS` with the live observation; keeps the planner state for the next tick. */
  tick(nowS: number, observation: Observation): PlanResult {
    if (this.tuner) {
      const q = this.tuner.observe(observation.peakPerS, observation.readyReplicas * this.spec.capacityPerReplicaPerS);
      const bandQ = stepQuantile(q, this.stepS, this.leadS, this.tickS);
      if (Math.abs(bandQ - this.quantileNow) >= QUANTILE_RESOLUTION) {
        this.quantileNow = bandQ;
        this.forecaster.setQuantile!(bandQ);
        this.band = null;
      }
    }
    const risePerS2 = observation.risePerS2 ?? this.riseFrom(nowS, observation.demandPerS);
    const obs = risePerS2 === observation.risePerS2 ? observation : { ...observation, risePerS2 };
    const t = this.tuner;
    const tuning =
      t && t.quantile > this.spec.upperQuantile
        ? { from: this.spec.upperQuantile, riskShare: t.riskShare, riskUtilization: t.riskUtilization }
        : undefined;
    this.bursts.observe(nowS, observation.peakPerS);
    const leadS =
      observation.measuredLeadTimeS !== undefined && observation.measuredLeadTimeS >= 0
        ? observation.measuredLeadTimeS
        : this.leadS;
    const burst =
      this.options.burstMaxBusyShare > 0
        ? this.bursts.outlook(nowS, leadS, this.missCostServedRequests, observation.peakPerS)
        : undefined;
    const result = plan(
      this.spec,
      obs,
      this.forecast(observation.measuredLeadTimeS),
      this.plannerState,
      nowS,
      this.options,
      tuning,
      burst,
    );
    this.plannerState = result.nextState;
    return result;
  }
}

/** The band is rebuilt when the tuned quantile moved at least this much (the update is small every tick). */
const QUANTILE_RESOLUTION = 0.0025;
