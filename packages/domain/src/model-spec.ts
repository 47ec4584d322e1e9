import { ValidationError } from './errors/validation-error.js';
import { FieldReader } from './validate/field-reader.js';

/** Lead time from asking for a replica to it serving warm traffic, split by stage. */
export interface LeadTimeSpec {
  /** Node / instance / process start (GPU node provisioning in a cluster). */
  readonly provisionS: number;
  /** Model weights to the accelerator, session creation. */
  readonly loadS: number;
  /** Warm passes until latency converges. */
  readonly warmupS: number;
}

/** Per-model service-level spec: what warmpool keeps true for one model. */
export interface ModelSpec {
  readonly name: string;
  /** p95 latency target in milliseconds. */
  readonly latencyTargetP95Ms: number;
  /** Requests per second one warm replica serves while meeting the latency target. */
  readonly capacityPerReplicaPerS: number;
  /** Utilization the reactive fallback aims at (HPA-style headroom) when no forecast band exists. */
  readonly targetUtilization: number;
  readonly leadTime: LeadTimeSpec;
  /** Replicas kept ready at all times. */
  readonly minWarmReplicas: number;
  readonly maxReplicas: number;
  /** Accelerator memory one ready replica holds. */
  readonly gpuMemoryPerReplicaBytes: number;
  /** Higher is more important when the GPU memory budget is short. */
  readonly priority: number;
  /**
   * Forecast window planned for, after the lead time, seconds. One planner tick is enough: the next tick plans the
   * next window (a longer one buys robustness with capacity).
   */
  readonly horizonS: number;
  /** Upper quantile of demand the plan provisions for (the band's top). */
  readonly upperQuantile: number;
  /**
   * Highest quantile the planner may raise `upperQuantile` to when the model's busiest seconds keep reaching its
   * ready SLA capacity (online tuning from the model's own SLA pressure). Default: `upperQuantile` (tuning off); a
   * bursty model whose violations matter more than its cost sets e.g. 0.99 (bench/RESULTS.md has the trade-off).
   */
  readonly upperQuantileMax: number;
  /**
   * The confidence a release needs: a replica is kept while the band over the lead time, widened from the band's
   * quantile to this one, needs it (a released replica cannot come back within the lead time, so a release is held to
   * a stricter quantile than a scale-up). Applies where the forecast step is shorter than the lead time (with longer
   * steps the lead time lies in the observed step). Default: the higher of `upperQuantile` and 0.97, or, where
   * `missCostServedRequests` is set, of `upperQuantile` and 1 - 1 / missCost (`defaultReleaseQuantile`); equal to
   * `upperQuantile`: off.
   */
  readonly releaseQuantile: number;
  /**
   * Scale-down waits until lower recommendations held this long. Shorter than HPA's 300 s because the planner also
   * never releases capacity the forecast needs again within the lead time.
   */
  readonly scaleDownStabilizationS: number;
  /**
   * The model's risk knob: one missed request (one the ready replicas cannot serve within the latency target) is worth
   * as much as serving this many requests, i.e. missCostServedRequests / capacityPerReplicaPerS replica-seconds of GPU
   * time. Sets the band and release quantiles (1 - 1 / missCost, unless given) and the burst keep-alive and pre-warm
   * rules (a replica is held while the misses it saves, at this price, exceed its cost). Absent: what `upperQuantile`
   * implies, 1 / (1 - upperQuantile).
   */
  readonly missCostServedRequests?: number;
  /**
   * `act` (the default when absent): warmpool scales the model's replicas itself (the Kubernetes provider refuses
   * where an HPA or a KEDA ScaledObject targets the workload). `advise`: warmpool decides and logs only, and serves its
   * forecast-ahead replica count to whoever scales (KEDA's external scaler).
   */
  readonly mode?: ModelMode;
}

export type ModelMode = 'act' | 'advise';

export const MODEL_NAME_PATTERN = /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/;

export const MODEL_SPEC_DEFAULTS = {
  latencyTargetP95Ms: 500,
  targetUtilization: 0.7,
  leadTime: { provisionS: 30, loadS: 10, warmupS: 5 },
  minWarmReplicas: 1,
  maxReplicas: 100,
  gpuMemoryPerReplicaBytes: 0,
  priority: 0,
  horizonS: 5,
  upperQuantile: 0.93,
  releaseQuantile: 0.97,
  scaleDownStabilizationS: 30,
} as const;

/**
 * Allowed range of `upperQuantile` (a model spec's, and every option that sets it): above 0.5 (the forecaster's band
 * is not built at the median: a spec at 0.5 passed validation and then failed when the planner made its forecaster).
 */
export const UPPER_QUANTILE_RANGE = { min: 0.5, max: 0.999, exclusiveMin: true } as const;

export const MODEL_SPEC_KEYS = [
  'name',
  'latencyTargetP95Ms',
  'capacityPerReplicaPerS',
  'targetUtilization',
  'leadTime',
  'minWarmReplicas',
  'maxReplicas',
  'gpuMemoryPerReplicaBytes',
  'priority',
  'horizonS',
  'upperQuantile',
  'upperQuantileMax',
  'releaseQuantile',
  'scaleDownStabilizationS',
  'missCostServedRequests',
  'mode',
] as const;

/**
 * Allowed range of `missCostServedRequests`: above 2, up to 1000 (quantiles above 0.5, up to 0.999). 2 itself would be
 * the median, which the forecaster's band refuses (its quantile is in (0.5, 0.999]).
 */
export const MISS_COST_RANGE = { min: 2, max: 1000, exclusiveMin: true } as const;

/** The band quantile a miss cost implies: 1 - 1 / missCost, within the allowed quantile range. */
export function quantileForMissCost(missCostServedRequests: number): number {
  return Math.min(UPPER_QUANTILE_RANGE.max, Math.max(UPPER_QUANTILE_RANGE.min, 1 - 1 / missCostServedRequests));
}

/**
 * A spec's release quantile when it sets none. With the risk knob set, what the knob implies, 1 - 1 / missCost (not
 * below `upperQuantile`): holding a replica is priced like adding one. Without it, the higher of `upperQuantile` and the
 * default 0.97. (0.97 under a knob below 33 made the knob's cheap end dear on short steps: at missCost 2.1 the band
 * is near its median and the release band, widened by probit(0.97) / probit(0.524) = 31x, held 1.78x the oracle on
 * NASA 1-s, against 0.82x with the knob's own quantile; bench/RESULTS.md, frontier section.)
 */
export function defaultReleaseQuantile(upperQuantile: number, missCostServedRequests?: number): number {
  return Math.max(
    upperQuantile,
    missCostServedRequests !== undefined && Number.isFinite(missCostServedRequests)
      ? quantileForMissCost(missCostServedRequests)
      : MODEL_SPEC_DEFAULTS.releaseQuantile,
  );
}

export function leadTimeTotalS(lead: LeadTimeSpec): number {
  return lead.provisionS + lead.loadS + lead.warmupS;
}

/**
 * Reads a model spec from untyped input (parsed YAML/JSON), filling defaults.
 * Collects every problem into `reader.issues`; callers that validate many specs share one reader list.
 */
export function readModelSpec(reader: FieldReader): ModelSpec {
  reader.rejectUnknown(MODEL_SPEC_KEYS);
  const d = MODEL_SPEC_DEFAULTS;
  const name = reader.string('name', {
    pattern: MODEL_NAME_PATTERN,
    patternText: 'a lowercase name of 1-63 characters: a-z, 0-9, "-", "_", "."; starting and ending alphanumeric',
  });
  const lead = reader.child('leadTime');
  lead.rejectUnknown(['provisionS', 'loadS', 'warmupS']);
  const leadTime: LeadTimeSpec = {
    provisionS: lead.number('provisionS', { default: d.leadTime.provisionS, min: 0, max: 3600 }),
    loadS: lead.number('loadS', { default: d.leadTime.loadS, min: 0, max: 3600 }),
    warmupS: lead.number('warmupS', { default: d.leadTime.warmupS, min: 0, max: 3600 }),
  };
  const minWarmReplicas = reader.number('minWarmReplicas', {
    default: d.minWarmReplicas,
    min: 0,
    max: 10000,
    integer: true,
  });
  const maxReplicas = reader.number('maxReplicas', { default: d.maxReplicas, min: 1, max: 10000, integer: true });
  if (maxReplicas < minWarmReplicas) {
    reader.issues.push({
      path: reader.path('maxReplicas'),
      value: maxReplicas,
      allowed: `an integer >= minWarmReplicas (${minWarmReplicas})`,
    });
  }
  const missCost = reader.has('missCostServedRequests')
    ? reader.number('missCostServedRequests', MISS_COST_RANGE)
    : undefined;
  const upperQuantile = reader.number('upperQuantile', {
    default: missCost !== undefined && Number.isFinite(missCost) ? quantileForMissCost(missCost) : d.upperQuantile,
    ...UPPER_QUANTILE_RANGE,
  });
  /** A quantile that may not be below `upperQuantile` (the tuning's ceiling, the release quantile). */
  const quantileAtLeastUpper = (key: 'upperQuantileMax' | 'releaseQuantile', def: number): number => {
    const v = reader.number(key, { default: def, ...UPPER_QUANTILE_RANGE });
    if (v < upperQuantile)
      reader.issues.push({
        path: reader.path(key),
        value: v,
        allowed: `a number in [upperQuantile (${upperQuantile}), ${UPPER_QUANTILE_RANGE.max}]`,
      });
    return v;
  };
  const upperQuantileMax = quantileAtLeastUpper('upperQuantileMax', upperQuantile);
  const releaseQuantile = quantileAtLeastUpper('releaseQuantile', defaultReleaseQuantile(upperQuantile, missCost));
  return {
    name,
    latencyTargetP95Ms: reader.number('latencyTargetP95Ms', { default: d.latencyTargetP95Ms, min: 1, max: 600000 }),
    capacityPerReplicaPerS: reader.number('capacityPerReplicaPerS', { min: 0, exclusiveMin: true, max: 1e9 }),
    targetUtilization: reader.number('targetUtilization', {
      default: d.targetUtilization,
      min: 0,
      exclusiveMin: true,
      max: 1,
    }),
    leadTime,
    minWarmReplicas,
    maxReplicas,
    gpuMemoryPerReplicaBytes: reader.number('gpuMemoryPerReplicaBytes', {
      default: d.gpuMemoryPerReplicaBytes,
      min: 0,
      max: 1e15,
      integer: true,
    }),
    priority: reader.number('priority', { default: d.priority, min: -1000, max: 1000, integer: true }),
    horizonS: reader.number('horizonS', { default: d.horizonS, min: 1, max: 86400 }),
    upperQuantile,
    upperQuantileMax,
    releaseQuantile,
    scaleDownStabilizationS: reader.number('scaleDownStabilizationS', {
      default: d.scaleDownStabilizationS,
      min: 0,
      max: 86400,
    }),
    ...(missCost !== undefined ? { missCostServedRequests: missCost } : {}),
    ...(reader.has('mode') ? { mode: reader.oneOf<ModelMode>('mode', ['act', 'advise'], 'act') } : {}),
  };
}

/** Validates one model spec; throws a ValidationError naming every bad key, value and what is allowed. */
export function parseModelSpec(input: unknown, source?: string): ModelSpec {
  const reader = new FieldReader(input);
  const spec = readModelSpec(reader);
  if (reader.issues.length > 0) throw new ValidationError(reader.issues, source);
  return spec;
}
