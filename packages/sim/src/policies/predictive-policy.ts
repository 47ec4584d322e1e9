import { type Decision, type Forecaster, type ForecastBand, type ModelSpec, MODEL_SPEC_DEFAULTS } from '@warmpool/domain';
import { DEFAULT_PLANNER_OPTIONS, INITIAL_PLANNER_STATE, plan, type PlannerOptions, type PlannerState } from '@warmpool/planner';
import type { SimConfig, SimPolicy, SimPolicyFactory, SimView } from './sim-policy.js';

export interface PredictiveOptions {
  /** Builds the forecaster for a run (the daemon uses the same factory), given the band quantile and step. */
  readonly makeForecaster: (quantile: number, stepS: number) => Forecaster;
  /** Planner tick, seconds (the daemon's default tick is 5 s). */
  readonly tickS?: number;
  /** Forecast step: the trace's bin width but at least this (1-s traces are forecast in 5-s steps). */
  readonly minStepS?: number;
  readonly horizonS?: number;
  readonly upperQuantile?: number;
  readonly scaleDownStabilizationS?: number;
  readonly planner?: Partial<PlannerOptions>;
  /** Model name in decisions (default `sim`). */
  readonly modelName?: string;
  /** Sees every decision the planner makes (the demo and replays log them). */
  readonly onDecision?: (decision: Decision, spec: ModelSpec) => void;
}

/** The model spec the simulator's normalized world implies (capacity, lead, bounds). */
export function simModelSpec(config: SimConfig, o: PredictiveOptions): ModelSpec {
  return {
    name: o.modelName ?? 'sim',
    latencyTargetP95Ms: MODEL_SPEC_DEFAULTS.latencyTargetP95Ms,
    capacityPerReplicaPerS: config.capacityPerS,
    targetUtilization: config.targetUtil,
    leadTime: { provisionS: config.leadS, loadS: 0, warmupS: 0 },
    minWarmReplicas: config.minReplicas,
    maxReplicas: config.maxReplicas,
    gpuMemoryPerReplicaBytes: 0,
    priority: 0,
    horizonS: o.horizonS ?? MODEL_SPEC_DEFAULTS.horizonS,
    upperQuantile: o.upperQuantile ?? MODEL_SPEC_DEFAULTS.upperQuantile,
    scaleDownStabilizationS: o.scaleDownStabilizationS ?? MODEL_SPEC_DEFAULTS.scaleDownStabilizationS,
  };
}

/**
 * The band quantile for a forecast step. With steps longer than the lead time, the band only matters in the
 * (lead + tick) seconds before each step boundary (inside a step the planner uses the observed level), so the
 * same over-provisioning budget buys a proportionally rarer miss: 1 - (1 - q) x min(1, (lead + tick) / step),
 * capped at 0.999. For steps at or below the lead time it is the spec's quantile.
 */
export function stepQuantile(quantile: number, stepS: number, leadS: number, tickS: number): number {
  return Math.min(0.999, Math.max(quantile, 1 - (1 - quantile) * Math.min(1, (leadS + tickS) / stepS)));
}

/**
 * warmpool's own policy under simulation: the forecaster is fed completed steps of observed demand, and every tick
 * the same `plan()` the daemon runs decides. Between ticks the last target holds.
 */
export function predictivePolicy(o: PredictiveOptions): SimPolicyFactory {
  return (config: SimConfig): SimPolicy => {
    const spec = simModelSpec(config, o);
    const tickS = o.tickS ?? 5;
    const stepS = Math.max(config.binS, o.minStepS ?? 5);
    const plannerOptions: PlannerOptions = { ...DEFAULT_PLANNER_OPTIONS, ...o.planner };
    const forecaster = o.makeForecaster(stepQuantile(spec.upperQuantile, stepS, config.leadS, tickS), stepS);
    const horizonSteps = Math.ceil((config.leadS + spec.horizonS) / stepS) + 2;
    let state: PlannerState = INITIAL_PLANNER_STATE;
    let target = 0;
    let stepSum = 0;
    let stepPeak = 0;
    let tickSum = 0;
    let tickPeak = 0;
    let tickN = 0;
    let band: ForecastBand | null = null;
    return {
      name: 'predictive',
      desired(view: SimView): number {
        const t = view.now;
        if (t > 0) {
          const d = view.observed.at(t - 1);
          stepSum += d;
          if (d > stepPeak) stepPeak = d;
          tickSum += d;
          if (d > tickPeak) tickPeak = d;
          tickN++;
          if (t % stepS === 0) {
            forecaster.observe({ startS: t - stepS, meanPerS: stepSum / stepS, peakPerS: stepPeak });
            stepSum = 0;
            stepPeak = 0;
            band = null;
          }
        }
        if (t % tickS !== 0) return target > 0 ? target : view.ready + view.warming;
        band ??= forecaster.forecast(horizonSteps);
        const observation = {
          demandPerS: tickN > 0 ? tickSum / tickN : Number.NaN,
          peakPerS: tickN > 0 ? tickPeak : Number.NaN,
          readyReplicas: view.ready,
          warmingReplicas: view.warming,
        };
        const result = plan(spec, observation, band, state, t, plannerOptions);
        state = result.nextState;
        o.onDecision?.(result.decision, spec);
        target = result.decision.to;
        tickSum = 0;
        tickPeak = 0;
        tickN = 0;
        return target;
      },
    };
  };
}
