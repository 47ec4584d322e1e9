import {
  type Decision,
  type Forecaster,
  type ModelSpec,
  type StepObservation,
  MODEL_SPEC_DEFAULTS,
  defaultReleaseQuantile,
  quantileForMissCost,
} from '@warmpool/domain';
import { LiveStepAggregator, ModelPlanner, type PlannerOptions } from '@warmpool/planner';
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
  /** The spec's risk knob (`missCostServedRequests`): sets the upper quantile (1 - 1 / missCost) unless given, and the burst rules. */
  readonly missCostServedRequests?: number;
  /** Ceiling of the band quantile's SLA-pressure tuning (default: `upperQuantile`, tuning off). */
  readonly upperQuantileMax?: number;
  /** The quantile a release needs (default: the spec's, `defaultReleaseQuantile`: the knob's, or at least 0.97). */
  readonly releaseQuantile?: number;
  readonly scaleDownStabilizationS?: number;
  readonly planner?: Partial<PlannerOptions>;
  /** Model name in decisions (default `sim`). */
  readonly modelName?: string;
  /** Sees every decision the planner makes (the demo and replays log them). */
  readonly onDecision?: (decision: Decision, spec: ModelSpec) => void;
}

/** The model spec the simulator's normalized world implies (capacity, lead, bounds). */
export function simModelSpec(config: SimConfig, options: PredictiveOptions): ModelSpec {
  const o =
    options.missCostServedRequests !== undefined && options.upperQuantile === undefined
      ? { ...options, upperQuantile: quantileForMissCost(options.missCostServedRequests) }
      : options;
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
    upperQuantileMax: o.upperQuantileMax ?? o.upperQuantile ?? MODEL_SPEC_DEFAULTS.upperQuantile,
    releaseQuantile:
      o.releaseQuantile ??
      defaultReleaseQuantile(o.upperQuantile ?? MODEL_SPEC_DEFAULTS.upperQuantile, o.missCostServedRequests),
    scaleDownStabilizationS: o.scaleDownStabilizationS ?? MODEL_SPEC_DEFAULTS.scaleDownStabilizationS,
    ...(o.missCostServedRequests !== undefined ? { missCostServedRequests: o.missCostServedRequests } : {}),
  };
}

/**
 * warmpool's own policy under simulation: the daemon's `ModelPlanner` (forecaster fed with completed steps of
 * observed demand, pure `plan()` every tick). Between ticks the last target holds.
 */
export function predictivePolicy(o: PredictiveOptions): SimPolicyFactory {
  return (config: SimConfig): SimPolicy => {
    const spec = simModelSpec(config, o);
    const tickS = o.tickS ?? 5;
    const stepS = Math.max(config.binS, o.minStepS ?? 5);
    const planner = new ModelPlanner({ spec, stepS, tickS, makeForecaster: o.makeForecaster, planner: o.planner });
    const steps = new LiveStepAggregator(stepS);
    const completed: StepObservation[] = [];
    let target = 0;
    let tickSum = 0;
    let tickPeak = 0;
    let tickN = 0;
    return {
      name: 'predictive',
      desired(view: SimView): number {
        const t = view.now;
        if (t > 0) {
          const d = view.observed.at(t - 1);
          tickSum += d;
          if (d > tickPeak) tickPeak = d;
          tickN++;
          completed.length = 0;
          steps.addSecond(t - 1, d, completed);
          for (const s of completed) planner.observeStep(s);
        }
        if (t % tickS !== 0) return target > 0 ? target : view.ready + view.warming;
        const result = planner.tick(t, {
          demandPerS: tickN > 0 ? tickSum / tickN : Number.NaN,
          peakPerS: tickN > 0 ? tickPeak : Number.NaN,
          readyReplicas: view.ready,
          warmingReplicas: view.warming,
        });
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
