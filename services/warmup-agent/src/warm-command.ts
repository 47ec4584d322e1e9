import { setTimeout as sleep } from 'node:timers/promises';
import { median, WarmpoolError } from '@warmpool/domain';
import {
  InferenceWorker,
  ModelReplica,
  requestPathBudgetMs,
  DEFAULT_MAX_BODY_BYTES,
  type EncodingWarm,
  type Feeds,
  type SessionConfig,
  type WarmTarget,
  type WarmTargetKind,
  type WarmupSpec,
} from '@warmpool/warmup';
import { type HttpWarmOutcome, measureHttp, type Samples } from './warm-http-measure.js';

/** First requests and a steady sample after them, over one path (in-session or HTTP). */
export interface PathMeasurement {
  /** The first requests after readiness, ms each. */
  readonly firstRequestsMs: number[];
  readonly firstRequestsP50Ms: number;
  readonly firstRequestsMaxMs: number;
  /** Median of the steady sample after them. */
  readonly steadyP50Ms: number;
  /** firstRequestsP50Ms / steadyP50Ms; the target is <= targetRatio. */
  readonly firstToSteadyRatio: number;
  /**
   * The noise floor of that ratio: |p50 of the steady sample's first half - p50 of its second half| / steadyP50Ms.
   * Two consecutive steady windows differ by this much with no warm-up effect at all; a ratio within
   * 1 + targetRatio's margin cannot be told apart from steady when this is as large as the margin.
   */
  readonly steadyWindowSpread: number;
  /**
   * The same number of requests after the steady sample and a pause of `pauseMs` with nothing running (p50), and its
   * ratio to steadyP50Ms: what requests after an idle gap pay on this machine with warm-up long done. The first
   * requests follow such a gap too (the end of warm-up); a firstToSteadyRatio no larger than this one is not a
   * warm-up effect. NaN when not measured (pauseMs 0).
   */
  readonly afterPauseP50Ms: number;
  readonly afterPauseToSteadyRatio: number;
  readonly targetMet: boolean;
}

/** Per input set (a warm-up target) measurement of `warmpool-agent warm`. */
export interface ShapeMeasurement {
  /** The target's label (`1x16`, `1x3x224x224` dims of the bucket, `recorded[0] 1x12`). */
  readonly shape: string;
  /** Where the inputs came from: synthetic (guessed from the model), spec, recorded, recorded-shape. */
  readonly kind: WarmTargetKind;
  /**
   * First request of this input set on a fresh session with no warm-up, through the path served requests take (a
   * fresh inference worker, timed around the run as served requests are), so it compares with firstRequestsP50Ms.
   */
  readonly coldFirstMs: number;
  /** Warm-up: first pass, passes, converged, steady estimate. */
  readonly warmupFirstPassMs: number;
  readonly warmupPasses: number;
  readonly converged: boolean;
  readonly warmupWindowP50Ms: number;
  /** In-session: the first user requests after readiness and the steady sample after them. */
  readonly firstRequestsMs: number[];
  readonly firstRequestsP50Ms: number;
  readonly firstRequestsMaxMs: number;
  readonly steadyP50Ms: number;
  readonly firstToSteadyRatio: number;
  /** coldFirstMs / firstRequestsP50Ms: what warm-up saves on the first request. */
  readonly coldToWarmRatio: number;
  /** The same over HTTP end to end; undefined when not measured (`httpProblem` says why). */
  readonly http: PathMeasurement | undefined;
  /**
   * The encoding those HTTP figures were sent in: the first of v2 JSON, v1 JSON, v2 binary a client could use for
   * this input set (float16 has no v2 JSON form; a body over max-body-bytes gets 413).
   */
  readonly httpEncoding: string | undefined;
  /** steadyWindowSpread of the in-session steady sample (see PathMeasurement). */
  readonly steadyWindowSpread: number;
  /** The in-session requests after a pause (see PathMeasurement). */
  readonly afterPauseP50Ms: number;
  readonly afterPauseToSteadyRatio: number;
  /** In-session target met, and over HTTP where measured. */
  readonly targetMet: boolean;
}

export interface WarmMeasurement {
  readonly model: string;
  readonly modelPath: string;
  readonly executionProvider: string;
  readonly providerFallbacks: ReadonlyArray<{ provider: string; error: string }>;
  readonly loadMs: number;
  readonly optimizedCacheHit: boolean;
  readonly warmupMs: number;
  /** Serial passes warm-up ran last to reach the spec's minPasses. */
  readonly settlePasses: number;
  readonly converged: boolean;
  readonly ready: boolean;
  readonly reason: string | undefined;
  /**
   * True when every figure was measured for every input set (over HTTP: in at least one encoding each; encodings a
   * client could not use are skipped, see httpEncodings, and are not problems); else `problems` says why not.
   */
  readonly measured: boolean;
  readonly problems: string[];
  /** The top-level numbers are those of this input set (the first one warmed). */
  readonly primaryShape: string;
  readonly coldFirstMs: number;
  readonly steadyP50Ms: number;
  readonly firstRequestsP50Ms: number;
  readonly firstRequestsMaxMs: number;
  /** Every input set has firstRequestsP50Ms <= targetRatio x steadyP50Ms, in-session and over HTTP. */
  readonly targetMet: boolean;
  readonly targetRatio: number;
  /**
   * How the HTTP path was warmed before its figures: `server` (the model server's request-path warm,
   * as serve does before ready), `converge` (until each input set's HTTP latency converged), `custom`.
   */
  readonly httpWarm: 'server' | 'converge' | 'custom' | undefined;
  /** HTTP warm requests sent (all input sets; 0 with a custom warmHttp), and whether each set converged (converge only). */
  readonly httpWarmRequests: number;
  readonly httpWarmConverged: boolean | undefined;
  /**
   * With the server's warm: per encoding (v1-json, v2-json, v2-binary) the input sets warmed and those skipped with
   * why (`fp16 has no JSON form ...`, `body 24.1 MB over max-body-bytes 16 MiB`). Undefined with another warm.
   */
  readonly httpEncodings: readonly EncodingWarm[] | undefined;
  readonly httpProblem: string | undefined;
  readonly memory: { peakRssBytes: number; limitBytes: number; usedFraction: number; ok: boolean } | undefined;
  readonly concurrency: { level: number; p50Ms: number; maxMs: number } | undefined;
  readonly shapes: ShapeMeasurement[];
}

export interface WarmOptions {
  readonly name: string;
  readonly modelPath: string;
  readonly session: SessionConfig;
  readonly spec: WarmupSpec;
  readonly firstRequests?: number;
  readonly steadySamples?: number;
  /** Idle pause before the after-pause requests (default 50 ms; 0: not measured). See PathMeasurement. */
  readonly pauseMs?: number;
  readonly targetRatio?: number;
  /** Measure over HTTP too (default true). */
  readonly http?: boolean;
  /** The model server's largest request body (default DEFAULT_MAX_BODY_BYTES, as serve's --max-body-bytes). */
  readonly maxBodyBytes?: number;
  /**
   * Warms the HTTP path before it is measured (what `serve` does before ready), given the server's
   * base URL and the targets. Default: JSON requests round-robin over the input sets until each
   * set's HTTP latency converges (the spec's windowSize, tolerance, convergenceWindows), at most
   * the spec's maxPassesPerShape rounds and its budget.
   */
  readonly warmHttp?: (baseUrl: string, targets: readonly WarmTarget[]) => Promise<void>;
  /**
   * Rounds of the model server's own request-path warm (what `serve` runs before ready), used when
   * the server has one and no `warmHttp` is given (default 2, as serve). 0: the convergence warm above.
   */
  readonly httpWarmRounds?: number;
}

const now = (): number => performance.now();
const BAD_INPUT_CODES = new Set(['E_MODEL_SHAPE', 'E_VALIDATION', 'E_WARMUP_SPEC']);

/**
 * Warm-up on this machine, measured per input set (every warm-up target: synthetic, spec'd or
 * recorded): load + warm a replica; the first N user requests and a steady sample after them,
 * in-session (round-robin over the input sets), then the same over HTTP through the model server;
 * then, per input set, a FRESH session's first request (cold). Figures that could not be measured
 * are named in `problems` (and `measured` is false).
 */
export async function measureWarmup(opts: WarmOptions): Promise<WarmMeasurement> {
  const firstN = opts.firstRequests ?? 10;
  const steadyN = opts.steadySamples ?? 20;
  const pauseMs = opts.pauseMs ?? 50;
  const target = opts.targetRatio ?? 1.1;
  const problems: string[] = [];
  const replica = new ModelReplica({
    name: opts.name,
    modelPath: opts.modelPath,
    session: opts.session,
    spec: opts.spec,
  });
  let httpProblem: string | undefined;
  let httpWarm: HttpWarmOutcome = { how: undefined, requests: 0, converged: undefined, encodings: undefined };
  const httpEncodingOf = new Map<WarmTarget, string | undefined>();
  try {
    const status = await replica.start();
    if (status.phase === 'failed' || !status.load || !status.warmup) {
      const code = status.errorCode ?? 'E_WARMUP';
      // A spec the model cannot take is bad input (exit 2): the message names the input and the spec key.
      if (BAD_INPUT_CODES.has(code)) throw new WarmpoolError(code, status.reason ?? 'bad warm-up spec');
      throw Object.assign(new Error(status.reason ?? 'warm-up failed'), { code });
    }
    // The replica's own targets: rebuilding them here ran the harness's feed building (code the requests do not run)
    // between the last warm pass and the first measured request.
    const targets = replica.warmTargets;
    const feedsFor = (t: WarmTarget, seed: number): Feeds => t.feedsFor?.(seed) ?? t.feeds;
    const inSession = new Map<WarmTarget, Samples>();
    const overHttp = new Map<WarmTarget, Samples>();
    if (!status.warmup.ready) {
      problems.push(
        `the replica is not ready after warm-up (${status.warmup.reason ?? status.warmup.outcome}): no requests measured`,
      );
    } else {
      // User traffic mixes shapes: the first requests and the steady sample both go round-robin
      // over the input sets, so neither side is charged for (or spared) shape switches.
      for (const t of targets) inSession.set(t, { first: [], steady: [], afterPause: [] });
      for (let i = 0; i < firstN; i++)
        for (const t of targets) inSession.get(t)!.first.push((await replica.infer(feedsFor(t, 1000 + i))).latencyMs);
      for (let i = 0; i < steadyN; i++)
        for (const t of targets) inSession.get(t)!.steady.push((await replica.infer(feedsFor(t, 5000 + i))).latencyMs);
      if (pauseMs > 0) {
        await sleep(pauseMs);
        for (let i = 0; i < firstN; i++)
          for (const t of targets)
            inSession.get(t)!.afterPause.push((await replica.infer(feedsFor(t, 7000 + i))).latencyMs);
      }
      if (opts.http ?? true) {
        try {
          const budgetLeftMs = requestPathBudgetMs(opts.spec, status.warmup.warmupMs);
          httpWarm = await measureHttp(
            replica,
            targets,
            {
              firstN,
              steadyN,
              pauseMs,
              spec: opts.spec,
              warmHttp: opts.warmHttp,
              rounds: opts.httpWarmRounds ?? 2,
              feedsFor,
              budgetLeftMs,
              maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
            },
            overHttp,
            httpEncodingOf,
          );
        } catch (e) {
          httpProblem = `HTTP not measured: ${e instanceof Error ? e.message : String(e)}`;
          problems.push(httpProblem);
        }
      }
    }
    await replica.close();

    // Cold: a fresh worker and session per input set, its first run timed as a served request's (runServed).
    const cold = new Map<WarmTarget, number>();
    for (const t of targets) {
      const fresh = await InferenceWorker.load(opts.modelPath, opts.session);
      try {
        const t0 = now();
        await fresh.worker.runTimed(t.feeds);
        cold.set(t, now() - t0);
      } finally {
        await fresh.worker.release();
      }
    }

    const perShape: ShapeMeasurement[] = targets.map((t) => {
      const w = status.warmup!.shapes.find((s) => s.label === t.label);
      if (!w) problems.push(`input set ${t.label}: no warm-up figures (not warmed)`);
      const a = inSession.get(t);
      const path = a ? pathFigures(a, target) : undefined;
      const h = overHttp.get(t);
      const http = h ? pathFigures(h, target) : undefined;
      const coldMs = cold.get(t) ?? Number.NaN;
      const firstP50 = path?.firstRequestsP50Ms ?? Number.NaN;
      return {
        shape: t.label,
        kind: t.kind ?? 'spec',
        coldFirstMs: round(coldMs),
        warmupFirstPassMs: round(w?.firstPassMs ?? Number.NaN),
        warmupPasses: w?.passes ?? 0,
        converged: w?.converged ?? false,
        warmupWindowP50Ms: round(w?.steadyP50Ms ?? Number.NaN),
        firstRequestsMs: path?.firstRequestsMs ?? [],
        firstRequestsP50Ms: round(firstP50),
        firstRequestsMaxMs: path?.firstRequestsMaxMs ?? Number.NaN,
        steadyP50Ms: path?.steadyP50Ms ?? Number.NaN,
        firstToSteadyRatio: path?.firstToSteadyRatio ?? Number.NaN,
        steadyWindowSpread: path?.steadyWindowSpread ?? Number.NaN,
        afterPauseP50Ms: path?.afterPauseP50Ms ?? Number.NaN,
        afterPauseToSteadyRatio: path?.afterPauseToSteadyRatio ?? Number.NaN,
        coldToWarmRatio: round(coldMs / firstP50, 2),
        http,
        httpEncoding: httpEncodingOf.get(t),
        targetMet: (path?.targetMet ?? false) && (http?.targetMet ?? httpProblem === undefined),
      };
    });
    if (perShape.length === 0) problems.push('warm-up had no input sets to measure');
    for (const s of perShape) {
      const missing = (['coldFirstMs', 'steadyP50Ms', 'firstRequestsP50Ms'] as const).filter(
        (k) => !Number.isFinite(s[k]),
      );
      if (missing.length > 0 && status.warmup.ready)
        problems.push(`input set ${s.shape}: ${missing.join(', ')} not measured`);
    }
    const primary = perShape[0];
    const w = status.warmup;
    return {
      model: opts.name,
      modelPath: opts.modelPath,
      executionProvider: status.load.executionProvider,
      providerFallbacks: status.load.fallbacks,
      loadMs: round(status.load.loadMs),
      optimizedCacheHit: status.load.optimizedCacheHit,
      warmupMs: round(w.warmupMs),
      settlePasses: w.settlePasses ?? 0,
      converged: w.converged,
      ready: w.ready,
      reason: w.reason,
      measured: problems.length === 0,
      problems,
      primaryShape: primary?.shape ?? '(none)',
      coldFirstMs: primary?.coldFirstMs ?? Number.NaN,
      steadyP50Ms: primary?.steadyP50Ms ?? Number.NaN,
      firstRequestsP50Ms: primary?.firstRequestsP50Ms ?? Number.NaN,
      firstRequestsMaxMs: primary?.firstRequestsMaxMs ?? Number.NaN,
      targetMet: problems.length === 0 && perShape.length > 0 && perShape.every((s) => s.targetMet),
      targetRatio: target,
      httpWarm: httpWarm.how,
      httpWarmRequests: httpWarm.requests,
      httpWarmConverged: httpWarm.converged,
      httpEncodings: httpWarm.encodings,
      httpProblem,
      memory: {
        peakRssBytes: w.memory.peakRssBytes,
        limitBytes: w.memory.limitBytes,
        usedFraction: round(w.memory.usedFraction, 4),
        ok: w.memory.ok,
      },
      concurrency: w.concurrency
        ? { level: w.concurrency.level, p50Ms: round(w.concurrency.p50Ms), maxMs: round(w.concurrency.maxMs) }
        : undefined,
      shapes: perShape,
    };
  } finally {
    await replica.close();
  }
}

function pathFigures({ first, steady, afterPause }: Samples, targetRatio: number): PathMeasurement {
  const firstP50 = median(first);
  const pausedP50 = afterPause.length > 0 ? median(afterPause) : Number.NaN;
  const steadyP50 = median(steady);
  const half = Math.floor(steady.length / 2);
  const spread =
    half > 0 ? Math.abs(median(steady.slice(0, half)) - median(steady.slice(half))) / steadyP50 : Number.NaN;
  return {
    firstRequestsMs: first.map((x) => round(x)),
    firstRequestsP50Ms: round(firstP50),
    firstRequestsMaxMs: round(first.length > 0 ? Math.max(...first) : Number.NaN),
    steadyP50Ms: round(steadyP50),
    firstToSteadyRatio: round(firstP50 / steadyP50, 3),
    steadyWindowSpread: round(spread, 3),
    afterPauseP50Ms: round(pausedP50),
    afterPauseToSteadyRatio: round(pausedP50 / steadyP50, 3),
    targetMet: firstP50 <= targetRatio * steadyP50,
  };
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
