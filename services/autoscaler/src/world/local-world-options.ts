import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODEL_NAME_PATTERN, ValidationError, type ValidationIssue } from '@warmpool/domain';

const here = fileURLToPath(new URL('.', import.meta.url));
/** The repository's bundled traces (services/autoscaler/dist/world → fixtures/traces). */
export const BUNDLED_TRACES = resolve(here, '../../../../fixtures/traces');

/** What the local world runs; every field has a default chosen for `npm start`. */
export interface LocalWorldOptions {
  /** The trace replayed as load (CSV `t,count`). Default: the bundled ServeGen DeepSeek-R1 day (10-min bins). */
  readonly tracePath?: string;
  /** Trace seconds per wall second. Default 200 (a 10-min bin lasts 3 s). */
  readonly speedX?: number;
  /** Trace second the replay starts at; the trace before it is the daemon's history. Default 66 000 (bin 110: the afternoon surge comes ~35 s in). */
  readonly replayFromS?: number;
  /** Wall seconds of replay (cut at the trace's end). Default 100. */
  readonly durationS?: number;
  /** Wall seconds of history backfilled before the replay (taken from the trace just before `replayFromS`). Default 300. */
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
  /** Dashboard port; 0: a free one. Default 9464 (a free one if taken). */
  readonly httpPort?: number;
  /** Loadgen seed. Default 7. */
  readonly seed?: number;
  /** Decisions on stdout: auto (JSON unless a terminal), json, text. */
  readonly format?: 'auto' | 'json' | 'text';
  /** Hold decisions on stdout too (they are always on the dashboard and in `/metrics`). Default false. */
  readonly printHolds?: boolean;
  /** Extra `warmpool-agent serve` arguments. */
  readonly agentArgs?: readonly string[];
  /** Where replica logs go; default a fresh temp dir, removed at the end. */
  readonly runDir?: string;
}

export type ResolvedWorldOptions = Required<Omit<LocalWorldOptions, 'runDir'>> & { readonly runDir: string | undefined };

export const LOCAL_WORLD_DEFAULTS = {
  tracePath: resolve(BUNDLED_TRACES, 'servegen_deepseek-r1_total_600s.csv'),
  speedX: 200,
  replayFromS: 66_000,
  durationS: 100,
  historyS: 300,
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
  httpPort: 9464,
  seed: 7,
  format: 'auto',
  printHolds: false,
  agentArgs: [],
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
    httpPort: num('httpPort', d.httpPort, 0, 65535, true),
    seed: num('seed', d.seed, 0, 2 ** 32 - 1, true),
    format: o.format ?? d.format,
    printHolds: o.printHolds ?? d.printHolds,
    agentArgs: o.agentArgs ?? d.agentArgs,
    runDir: o.runDir,
  };
  if (!MODEL_NAME_PATTERN.test(r.model)) issues.push({ path: 'model', value: r.model, allowed: 'a model name (lowercase letters, digits, - _ .)' });
  if (r.stepS < r.tickS) issues.push({ path: 'stepS', value: r.stepS, allowed: `>= tickS (${r.tickS})` });
  if (r.minWarmReplicas > r.maxReplicas) issues.push({ path: 'minWarmReplicas', value: r.minWarmReplicas, allowed: `<= maxReplicas (${r.maxReplicas})` });
  if (!['auto', 'json', 'text'].includes(r.format)) issues.push({ path: 'format', value: r.format, allowed: 'auto, json or text' });
  if (issues.length > 0) throw new ValidationError(issues, 'local world options');
  return r;
}
