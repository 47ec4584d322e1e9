import {
  FeedBuilder,
  ModelReplica,
  ModelSessionFactory,
  describeInputs,
  median,
  shapeLabel,
  type InputShape,
  type SessionConfig,
  type WarmupSpec,
} from '@warmpool/warmup';

/** Per-shape measurement of `warmpool-agent warm`. */
export interface ShapeMeasurement {
  readonly shape: string;
  /** First request of this shape on a fresh session with no warm-up. */
  readonly coldFirstMs: number;
  /** Warm-up: first pass, passes, converged, last window median. */
  readonly warmupFirstPassMs: number;
  readonly warmupPasses: number;
  readonly converged: boolean;
  readonly warmupWindowP50Ms: number;
  /** The first user requests after readiness. */
  readonly firstRequestsMs: number[];
  readonly firstRequestsP50Ms: number;
  readonly firstRequestsMaxMs: number;
  /** Median of `steadySamples` requests after those. */
  readonly steadyP50Ms: number;
  /** firstRequestsP50Ms / steadyP50Ms; the target is <= 1.1. */
  readonly firstToSteadyRatio: number;
  /** coldFirstMs / firstRequestsP50Ms: what warm-up saves on the first request. */
  readonly coldToWarmRatio: number;
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
  readonly converged: boolean;
  readonly ready: boolean;
  readonly reason: string | undefined;
  /** The top-level numbers are those of this shape (the first representative shape). */
  readonly primaryShape: string;
  readonly coldFirstMs: number;
  readonly steadyP50Ms: number;
  readonly firstRequestsP50Ms: number;
  readonly firstRequestsMaxMs: number;
  /** Every shape has firstRequestsP50Ms <= 1.1 x steadyP50Ms. */
  readonly targetMet: boolean;
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
  readonly targetRatio?: number;
}

const now = (): number => performance.now();

/**
 * Warm-up on this machine, measured: load + warm a replica, then the first N user requests per
 * shape and a steady sample after them (both round-robin over the shapes); then, per shape, a FRESH session's first request (cold).
 */
export async function measureWarmup(opts: WarmOptions): Promise<WarmMeasurement> {
  const firstN = opts.firstRequests ?? 10;
  const steadyN = opts.steadySamples ?? 20;
  const target = opts.targetRatio ?? 1.1;
  const replica = new ModelReplica({ name: opts.name, modelPath: opts.modelPath, session: opts.session, spec: opts.spec });
  try {
    const status = await replica.start();
    if (status.phase === 'failed' || !status.load || !status.warmup) {
      throw Object.assign(new Error(status.reason ?? 'warm-up failed'), { code: status.errorCode ?? 'E_WARMUP' });
    }
    const shapes: InputShape[] = opts.spec.shapes.length > 0 ? [...opts.spec.shapes] : [];
    const builder = new FeedBuilder(replica.inputs, opts.modelPath, opts.spec.tokenIdMax);
    const after = new Map<string, { first: number[]; steady: number }>();
    if (status.warmup.ready) {
      // User traffic mixes shapes: the first requests and the steady sample both go round-robin
      // over the shapes, so neither side is charged for (or spared) shape switches.
      const first = shapes.map(() => [] as number[]);
      const steady = shapes.map(() => [] as number[]);
      for (let i = 0; i < firstN; i++) {
        for (const [k, shape] of shapes.entries()) first[k]!.push((await replica.infer(builder.build(shape, 1000 + i))).latencyMs);
      }
      for (let i = 0; i < steadyN; i++) {
        for (const [k, shape] of shapes.entries()) steady[k]!.push((await replica.infer(builder.build(shape, 5000 + i))).latencyMs);
      }
      shapes.forEach((shape, k) => after.set(shapeLabel(shape), { first: first[k]!, steady: median(steady[k]!) }));
    }
    await replica.close();

    const cold = new Map<string, number>();
    const factory = new ModelSessionFactory(opts.session);
    for (const shape of shapes) {
      const fresh = await factory.create(opts.modelPath);
      try {
        const feeds = new FeedBuilder(describeInputs(fresh.session), opts.modelPath, opts.spec.tokenIdMax).build(shape, 77);
        const t0 = now();
        await fresh.session.run(feeds);
        cold.set(shapeLabel(shape), now() - t0);
      } finally {
        await fresh.session.release();
      }
    }

    const perShape: ShapeMeasurement[] = shapes.map((shape) => {
      const label = shapeLabel(shape);
      const w = status.warmup!.shapes.find((s) => s.label === label)!;
      const a = after.get(label);
      const firstP50 = a ? median(a.first) : Number.NaN;
      const steady = a ? a.steady : Number.NaN;
      const coldMs = cold.get(label) ?? Number.NaN;
      return {
        shape: label,
        coldFirstMs: round(coldMs),
        warmupFirstPassMs: round(w.firstPassMs),
        warmupPasses: w.passes,
        converged: w.converged,
        warmupWindowP50Ms: round(w.steadyP50Ms),
        firstRequestsMs: (a?.first ?? []).map((x) => round(x)),
        firstRequestsP50Ms: round(firstP50),
        firstRequestsMaxMs: round(a ? Math.max(...a.first) : Number.NaN),
        steadyP50Ms: round(steady),
        firstToSteadyRatio: round(firstP50 / steady, 3),
        coldToWarmRatio: round(coldMs / firstP50, 2),
        targetMet: firstP50 <= target * steady,
      };
    });
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
      converged: w.converged,
      ready: w.ready,
      reason: w.reason,
      primaryShape: primary?.shape ?? '(recorded inputs only)',
      coldFirstMs: primary?.coldFirstMs ?? Number.NaN,
      steadyP50Ms: primary?.steadyP50Ms ?? Number.NaN,
      firstRequestsP50Ms: primary?.firstRequestsP50Ms ?? Number.NaN,
      firstRequestsMaxMs: primary?.firstRequestsMaxMs ?? Number.NaN,
      targetMet: perShape.length > 0 && perShape.every((s) => s.targetMet),
      memory: { peakRssBytes: w.memory.peakRssBytes, limitBytes: w.memory.limitBytes, usedFraction: round(w.memory.usedFraction, 4), ok: w.memory.ok },
      concurrency: w.concurrency ? { level: w.concurrency.level, p50Ms: round(w.concurrency.p50Ms), maxMs: round(w.concurrency.maxMs) } : undefined,
      shapes: perShape,
    };
  } finally {
    await replica.close();
  }
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
