import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MODEL_NAME_PATTERN,
  MODEL_SPEC_DEFAULTS,
  UPPER_QUANTILE_RANGE,
  ValidationError,
  type ValidationIssue,
} from '@warmpool/domain';
import type { RequestShape } from '@warmpool/loadgen';
import { SCALING_POLICY_NAMES, type ScalingPolicyName } from '../daemon/baseline-policy.js';
import type { LogLevel } from '@warmpool/telemetry';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The repository's bundled traces (services/autoscaler/dist/world → fixtures/traces). */
export const BUNDLED_TRACES = resolve(here, '../../../../fixtures/traces');

/** What the local world runs; every field has a default chosen for `npm start`. */
export interface LocalWorldOptions {
  /** The trace replayed as load (CSV `t,count`). Default: the bundled ServeGen M-small 14 days (10-min bins, a regular daily shape). */
  readonly tracePath?: string;
  /** Trace seconds per wall second. Default 600 (a 10-min bin lasts 1 s, a day 144 s: the forecaster's day is 86 400 / speedX). */
  readonly speedX?: number;
  /** Trace second the replay starts at; the trace before it is the daemon's history. Default 363 600 (day 4, 05:00: the morning rise, the midday plateau and the evening peak come in the first 100 s). */
  readonly replayFromS?: number;
  /** Wall seconds of replay (cut at the trace's end). Default 100. */
  readonly durationS?: number;
  /** Wall seconds of history backfilled before the replay (taken from the trace just before `replayFromS`). Default 576 (4 trace days at 600x, days 0-3: the daily season starts after 2). */
  readonly historyS?: number;
  /** Requests per wall second at the busiest bin of history + replay. Default 40. */
  readonly peakPerS?: number;
  /** Model name (the load balancer's model, the replicas' `--name`). Default `tiny-transformer`. */
  readonly model?: string;
  /** Bundled model (`tiny-transformer`, `small-transformer`) or an .onnx file. Default tiny-transformer. */
  readonly modelSource?: string;
  /** Requests per second one replica is planned for (the SLA's capacity). Default 6. */
  readonly capacityPerReplicaPerS?: number;
  readonly latencyTargetP95Ms?: number;
  readonly maxReplicas?: number;
  readonly minWarmReplicas?: number;
  /** Replicas started (and warm) before the load begins; 0: what the last 30 s of history needed. Default 0. */
  readonly initialReplicas?: number;
  /** Wait before each replica's process starts, standing in for GPU node start. Default 4000. */
  readonly provisionDelayMs?: number;
  /** Daemon tick, seconds. Default 1. */
  readonly tickS?: number;
  /** Forecast step, seconds (>= tickS). Default 2. */
  readonly stepS?: number;
  /** Planning horizon beyond the lead time, seconds. Default 6. */
  readonly horizonS?: number;
  /** The model's forecast band quantile (`upperQuantile`). Default 0.93 (the model spec's default). */
  readonly upperQuantile?: number;
  /** Ceiling of the band quantile's SLA-pressure tuning (`upperQuantileMax`); unset: `upperQuantile` (tuning off). */
  readonly upperQuantileMax?: number;
  /** The model's release quantile (`releaseQuantile`); unset: the spec's default (the higher of upperQuantile and 0.97). */
  readonly releaseQuantile?: number;
  /** Dashboard port; 0: a free one. Default 9464 (a free one if taken). */
  readonly httpPort?: number;
  /** Loadgen seed. Default 7. */
  readonly seed?: number;
  /** Decisions on stdout: auto (JSON unless a terminal), json, text. */
  readonly format?: 'auto' | 'json' | 'text';
  /** Hold decisions on stdout too (they are always on the dashboard and in `/metrics`). Default false. */
  readonly printHolds?: boolean;
  /** The daemon's log level (its log lines on stdout; decisions are not logs). Default WARMPOOL_LOG_LEVEL, else info. */
  readonly logLevel?: LogLevel;
  /** Extra `warmpool-agent serve` arguments. */
  readonly agentArgs?: readonly string[];
  /** Where replica logs go; default a fresh temp dir, removed at the end. */
  readonly runDir?: string;
  /** How the daemon decides: the ModelPlanner (`predictive`) or a baseline (`hpa`, `kpa`). Default predictive. */
  readonly policy?: ScalingPolicyName;
  /**
   * How many times faster than a cluster this world runs, for the policies' own clocks: the baselines' periods and
   * windows (HPA sync, metric window, 300-s scale-down stabilization; KPA windows) and the planner's panic hold are
   * divided by it. 1 (default): the controllers' real defaults in wall seconds.
   */
  readonly policyTimeScale?: number;
  /** Request sizes of the load, also the shapes each replica warms. Default 1x8 and 2x8. */
  readonly shapes?: readonly RequestShape[];
  /** Inferences one replica runs at once (agent `--max-concurrency`). Default 1. */
  readonly replicaMaxConcurrency?: number;
  /** Requests one replica queues beyond those, then 503 (agent `--max-queue`). Default 32. */
  readonly replicaMaxQueue?: number;
  /** Each inference holds its replica's slot at least this long (agent `--min-service-ms`, given only when > 0). Default 0. */
  readonly minServiceMs?: number;
  /** Seconds the daemon waits before scaling down. Default 45. */
  readonly scaleDownStabilizationS?: number;
  /** The daemon's first guess of process start + model load + warm-up, seconds (split half and half), until it measures. Default 2. */
  readonly startupS?: number;
  /** Time budget of a replica's warm-up (warm-up spec `budgetS`). Default 20. */
  readonly warmupBudgetS?: number;
  /** Timeout of one request of the load. Default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Requests of the load in flight at most (a due request waits for a slot). Default 32. */
  readonly loadMaxConcurrency?: number;
  /** Seconds per window of the load summary's spike windows (windows whose p95 is over the target). Default 10. */
  readonly spikeWindowS?: number;
}

export type ResolvedWorldOptions = Required<
  Omit<LocalWorldOptions, 'runDir' | 'upperQuantileMax' | 'releaseQuantile' | 'logLevel'>
> & {
  readonly runDir: string | undefined;
  readonly logLevel?: LogLevel;
  readonly upperQuantileMax?: number;
  readonly releaseQuantile?: number;
};

export const LOCAL_WORLD_DEFAULTS = {
  tracePath: resolve(BUNDLED_TRACES, 'servegen_m-small_total_600s.csv'),
  speedX: 600,
  replayFromS: 363_600,
  durationS: 100,
  historyS: 576,
  peakPerS: 40,
  model: 'tiny-transformer',
  modelSource: 'tiny-transformer',
  capacityPerReplicaPerS: 6,
  latencyTargetP95Ms: 250,
  maxReplicas: 8,
  minWarmReplicas: 1,
  initialReplicas: 0,
  provisionDelayMs: 4000,
  tickS: 1,
  stepS: 2,
  horizonS: 6,
  upperQuantile: MODEL_SPEC_DEFAULTS.upperQuantile,
  httpPort: 9464,
  seed: 7,
  format: 'auto',
  printHolds: false,
  agentArgs: [],
  policy: 'predictive',
  policyTimeScale: 1,
  shapes: [
    { batch: 1, seq: 8 },
    { batch: 2, seq: 8 },
  ],
  replicaMaxConcurrency: 1,
  replicaMaxQueue: 32,
  minServiceMs: 0,
  scaleDownStabilizationS: 45,
  startupS: 2,
  warmupBudgetS: 20,
  requestTimeoutMs: 30_000,
  loadMaxConcurrency: 32,
  spikeWindowS: 10,
} as const;

/** Fills defaults and checks ranges; every problem at once (key, value, allowed). */
export function resolveWorldOptions(o: LocalWorldOptions): ResolvedWorldOptions {
  const issues: ValidationIssue[] = [];
  const d = LOCAL_WORLD_DEFAULTS;
  const num = (key: keyof LocalWorldOptions, def: number, min: number, max: number, integer = false): number => {
    const v = o[key];
    if (v === undefined) return def;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
      issues.push({ path: key, value: v, allowed: `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]` });
      return def;
    }
    return v;
  };
  /** A quantile option: in (0.5, 0.999], the model spec's range (the forecaster builds no band at the median). */
  const quantile = (key: keyof LocalWorldOptions, def: number): number => {
    const v = o[key];
    if (v === undefined) return def;
    const { min, max } = UPPER_QUANTILE_RANGE;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= min || v > max) {
      issues.push({ path: key, value: v, allowed: `a number in (${min}, ${max}]` });
      return def;
    }
    return v;
  };
  const r = {
    tracePath: o.tracePath ?? d.tracePath,
    speedX: num('speedX', d.speedX, 0.01, 100_000),
    replayFromS: num('replayFromS', d.replayFromS, 0, 1e9),
    durationS: num('durationS', d.durationS, 1, 86_400),
    historyS: num('historyS', d.historyS, 0, 86_400),
    peakPerS: num('peakPerS', d.peakPerS, 0.1, 2000),
    model: o.model ?? d.model,
    modelSource: o.modelSource ?? d.modelSource,
    capacityPerReplicaPerS: num('capacityPerReplicaPerS', d.capacityPerReplicaPerS, 0.01, 1e6),
    latencyTargetP95Ms: num('latencyTargetP95Ms', d.latencyTargetP95Ms, 1, 600_000),
    maxReplicas: num('maxReplicas', d.maxReplicas, 1, 64, true),
    minWarmReplicas: num('minWarmReplicas', d.minWarmReplicas, 0, 64, true),
    initialReplicas: num('initialReplicas', d.initialReplicas, 0, 64, true),
    provisionDelayMs: num('provisionDelayMs', d.provisionDelayMs, 0, 600_000, true),
    tickS: num('tickS', d.tickS, 0.1, 60),
    stepS: num('stepS', d.stepS, 1, 600, true),
    horizonS: num('horizonS', d.horizonS, 1, 3600),
    upperQuantile: quantile('upperQuantile', d.upperQuantile),
    ...(o.upperQuantileMax !== undefined ? { upperQuantileMax: quantile('upperQuantileMax', NaN) } : {}),
    ...(o.releaseQuantile !== undefined ? { releaseQuantile: quantile('releaseQuantile', NaN) } : {}),
    httpPort: num('httpPort', d.httpPort, 0, 65535, true),
    seed: num('seed', d.seed, 0, 2 ** 32 - 1, true),
    format: o.format ?? d.format,
    printHolds: o.printHolds ?? d.printHolds,
    ...(o.logLevel !== undefined ? { logLevel: o.logLevel } : {}),
    agentArgs: o.agentArgs ?? d.agentArgs,
    runDir: o.runDir,
    policy: o.policy ?? d.policy,
    policyTimeScale: num('policyTimeScale', d.policyTimeScale, 1, 1000),
    shapes: shapesOf(o.shapes, d.shapes, issues),
    replicaMaxConcurrency: num('replicaMaxConcurrency', d.replicaMaxConcurrency, 1, 1024, true),
    replicaMaxQueue: num('replicaMaxQueue', d.replicaMaxQueue, 0, 100_000, true),
    minServiceMs: num('minServiceMs', d.minServiceMs, 0, 600_000, true),
    scaleDownStabilizationS: num('scaleDownStabilizationS', d.scaleDownStabilizationS, 0, 86_400),
    startupS: num('startupS', d.startupS, 0, 7200),
    warmupBudgetS: num('warmupBudgetS', d.warmupBudgetS, 0.1, 3600),
    requestTimeoutMs: num('requestTimeoutMs', d.requestTimeoutMs, 1, 3_600_000, true),
    loadMaxConcurrency: num('loadMaxConcurrency', d.loadMaxConcurrency, 1, 10_000, true),
    spikeWindowS: num('spikeWindowS', d.spikeWindowS, 0.001, 86_400),
  };
  if (!MODEL_NAME_PATTERN.test(r.model))
    issues.push({ path: 'model', value: r.model, allowed: 'a model name (lowercase letters, digits, - _ .)' });
  if (r.stepS < r.tickS) issues.push({ path: 'stepS', value: r.stepS, allowed: `>= tickS (${r.tickS})` });
  if (r.minWarmReplicas > r.maxReplicas)
    issues.push({ path: 'minWarmReplicas', value: r.minWarmReplicas, allowed: `<= maxReplicas (${r.maxReplicas})` });
  if (!['auto', 'json', 'text'].includes(r.format))
    issues.push({ path: 'format', value: r.format, allowed: 'auto, json or text' });
  if (!SCALING_POLICY_NAMES.includes(r.policy))
    issues.push({ path: 'policy', value: r.policy, allowed: SCALING_POLICY_NAMES.join(', ') });
  if (issues.length > 0) throw new ValidationError(issues, 'local world options');
  return r;
}

/** The request sizes, each checked (the load generator's and the agent's limits); the default when any is bad. */
function shapesOf(v: unknown, def: readonly RequestShape[], issues: ValidationIssue[]): readonly RequestShape[] {
  if (v === undefined) return def;
  if (!Array.isArray(v) || v.length === 0 || v.length > 64) {
    issues.push({ path: 'shapes', value: v, allowed: 'a non-empty array (at most 64) of {batch, seq}' });
    return def;
  }
  const int = (x: unknown, max: number): boolean => typeof x === 'number' && Number.isInteger(x) && x >= 1 && x <= max;
  let ok = true;
  v.forEach((s: unknown, i) => {
    const shape = s as Partial<RequestShape> | null;
    if (typeof shape !== 'object' || shape === null || !int(shape.batch, 1024) || !int(shape.seq, 65_536)) {
      issues.push({
        path: `shapes[${i}]`,
        value: s,
        allowed: '{batch, seq} with batch an integer in [1, 1024] and seq an integer in [1, 65536]',
      });
      ok = false;
    }
  });
  return ok ? (v as RequestShape[]).map((s) => ({ batch: s.batch, seq: s.seq })) : def;
}
