import type * as ort from 'onnxruntime-node';
import { InferenceRequestError } from '../errors/inference-request-error.js';
import type { LoadedSession } from '../session/model-session-factory.js';
import { describeInputs, type Feeds, type ModelInputInfo } from '../session/feed-builder.js';
import type { SessionConfig } from '../session/session-options.js';
import { systemClock, type Clock } from '../warmup/clock.js';
import { readGpuMemory, type GpuMemorySample } from '../warmup/gpu-memory-probe.js';
import { KeepWarm } from '../warmup/keep-warm.js';
import { ProcessMemoryProbe, type MemoryProbe } from '../warmup/memory-probe.js';
import { buildWarmTargets, largestWarmedDims, type WarmTarget } from '../warmup/warm-target.js';
import { ShapeRecorder, dimsOfFeeds } from '../warmup/shape-recorder.js';
import { WarmupEngine, type WarmupReport } from '../warmup/warmup-engine.js';
import type { WarmupSpec } from '../warmup/warmup-spec.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';
import { InferenceWorker } from './inference-worker.js';

export type ReplicaPhase = 'starting' | 'loading' | 'warming' | 'ready' | 'not-ready' | 'failed' | 'draining';

export interface ModelReplicaOptions {
  /** Model name in URLs (`/v1/models/{name}/infer`). */
  readonly name: string;
  readonly modelPath: string;
  readonly session?: Partial<SessionConfig>;
  readonly spec: WarmupSpec;
  /** Inferences run at once (default 1); more wait in a queue of `maxQueue` (default 32), beyond that 503. */
  readonly maxConcurrency?: number;
  readonly maxQueue?: number;
  /**
   * Each served inference holds its slot at least this long (default 0): a stand-in for accelerator time on a host
   * without one, so a replica's capacity is bounded (1000 / minServiceMs per second and slot) while it waits without
   * taking CPU from the other replicas. Warm passes are not padded: the warm-up measures the model itself.
   */
  readonly minServiceMs?: number;
  readonly clock?: Clock;
  readonly memory?: MemoryProbe;
  /** Called on every warm pass (heartbeats while warming). */
  readonly onWarmPass?: (label: string, latencyMs: number) => void;
  /** Request shapes recorded by earlier replicas (per-input dims, most frequent first): warmed too. */
  readonly recordedShapes?: ReadonlyArray<Readonly<Record<string, readonly number[]>>>;
  /** Accelerator memory reader used when the session runs on a GPU provider (default: nvidia-smi). */
  readonly gpuMemory?: () => GpuMemorySample | undefined;
  /**
   * Per-input request limit: a served tensor may have at most this many times the elements of the largest tensor
   * warmed for that input (default 4); beyond it the request is refused (400 `E_INPUT_TOO_LARGE`) instead of
   * running for seconds on an unwarmed size. 0: no limit.
   */
  readonly inputLimitFactor?: number;
  /**
   * Runs after warm-up said ready and before the phase turns `ready` (phase `warming`, reason
   * `warming the request path`): e.g. warm requests over HTTP, given its budget (requestPathBudgetMs). A failure is noted in the reason; the replica is
   * ready anyway (the model itself is warm).
   */
  readonly beforeReady?: (targets: readonly WarmTarget[], budgetLeftMs: number) => Promise<void>;
}

/** What a served inference may ask for besides its feeds. */
export interface InferOptions {
  /** Outputs to compute (default all). */
  readonly outputs?: readonly string[];
  /** Give up (E_DEADLINE, HTTP 504) when not answered by then (clock ms); a queued request is dropped unrun. */
  readonly deadlineMs?: number;
  /** A warm request (the server's own request-path warm): not recorded as a request shape, not padded to minServiceMs. */
  readonly warm?: boolean;
}

/**
 * Budget of the request-path warm after the model's warm-up: what is left of the spec's budget, at most
 * `settleBudgetFraction` of it (readiness is what the autoscaler waits for: on a loaded 2-core box an unbounded
 * converging HTTP warm took 1.7-3.4 s after a 0.2-0.3 s model warm-up, for a gain within the noise).
 */
export function requestPathBudgetMs(
  spec: Pick<WarmupSpec, 'budgetMs' | 'settleBudgetFraction'>,
  warmupMs: number,
): number {
  return Math.max(0, Math.min(spec.budgetMs * (spec.settleBudgetFraction ?? 0.1), spec.budgetMs - warmupMs));
}

/** Default of ModelReplicaOptions.inputLimitFactor. */
export const DEFAULT_INPUT_LIMIT_FACTOR = 4;

export interface ReplicaStatus {
  readonly phase: ReplicaPhase;
  readonly reason: string | undefined;
  /** Error code when failed. */
  readonly errorCode: string | undefined;
  readonly load: Omit<LoadedSession, 'session'> | undefined;
  readonly warmup: WarmupReport | undefined;
  readonly keepWarmPasses: number;
}

/**
 * One model in one replica: loads the session, warms it, then serves inferences through a
 * concurrency limiter, keeping itself warm when idle. Ready only once warm-up said so.
 */
export class ModelReplica {
  private phase: ReplicaPhase = 'starting';
  private reason: string | undefined = 'not started';
  private errorCode: string | undefined;
  private loaded: (Omit<LoadedSession, 'session'> & { readonly session: InferenceWorker }) | undefined;
  private inputInfo: ModelInputInfo[] = [];
  private limits: Record<string, number> | undefined;
  private limitDims: Record<string, number[]> | undefined;
  private report: WarmupReport | undefined;
  private targets: WarmTarget[] = [];
  private keepWarm: KeepWarm | undefined;
  readonly limiter: ConcurrencyLimiter;
  /** Shapes of served requests (bounded), warmed shapes, first-time shapes after ready. */
  readonly shapes = new ShapeRecorder();
  readonly clock: Clock;
  private readonly memory: MemoryProbe;

  constructor(private readonly opts: ModelReplicaOptions) {
    this.clock = opts.clock ?? systemClock;
    this.memory = opts.memory ?? new ProcessMemoryProbe(opts.spec.memoryLimitBytes);
    this.limiter = new ConcurrencyLimiter(opts.maxConcurrency ?? 1, opts.maxQueue ?? 32);
  }

  get name(): string {
    return this.opts.name;
  }

  get ready(): boolean {
    return this.phase === 'ready';
  }

  get inputs(): ModelInputInfo[] {
    return this.loaded ? this.inputInfo : [];
  }

  get outputNames(): readonly string[] {
    return this.loaded?.session.outputNames ?? [];
  }

  get memoryProbe(): MemoryProbe {
    return this.memory;
  }

  status(): ReplicaStatus {
    const load = this.loaded ? (({ session: _s, ...rest }) => rest)(this.loaded) : undefined;
    return {
      phase: this.phase,
      reason: this.reason,
      errorCode: this.errorCode,
      load,
      warmup: this.report,
      keepWarmPasses: this.keepWarm?.passes ?? 0,
    };
  }

  /** Loads and warms. Never throws: a failure is phase `failed` with the reason (and the error returned). */
  async start(): Promise<ReplicaStatus> {
    try {
      this.set('loading', 'loading model');
      // The session lives in a worker thread: a long inference never blocks the event loop (health, metrics).
      const { worker, loaded } = await InferenceWorker.load(this.opts.modelPath, this.opts.session ?? {});
      worker.onExit = (e) => {
        this.errorCode = 'E_WORKER_EXITED';
        this.set('failed', e.message);
      };
      this.loaded = { ...loaded, session: worker };
      this.set('warming', 'warm-up running');
      const inputs = describeInputs(worker as unknown as ort.InferenceSession); // reads inputMetadata only
      this.inputInfo = inputs;
      this.targets = buildWarmTargets(this.opts.spec, inputs, this.opts.modelPath, this.opts.recordedShapes);
      for (const t of this.targets) this.shapes.markWarmed(dimsOfFeeds(t.feeds));
      // Warm passes enter where served requests enter (infer: the limit check, the limiter, runServed, the worker) and
      // run every statement a served request runs, differing only in data (not counted as a request shape, not
      // padded to minServiceMs): code a served request runs first after ready was measurably slower for its first
      // requests (tiny-vad: first-10 p50 1.39 x steady in-session), in the main thread and in the worker's run.
      this.setLimits();
      const served = { run: (feeds: Feeds) => this.infer(feeds, { warm: true }) };
      const engine = new WarmupEngine(served, this.opts.spec, {
        clock: this.clock,
        memory: this.memory,
        onPass: this.opts.onWarmPass,
        gpuMemory:
          this.loaded.executionProvider === 'cpu' ? undefined : (this.opts.gpuMemory ?? (() => readGpuMemory())),
      });
      this.report = await engine.run(this.targets);
      let reason = this.report.reason;
      if (this.report.ready && this.opts.beforeReady) {
        this.set('warming', 'warming the request path');
        try {
          const budgetLeftMs = requestPathBudgetMs(this.opts.spec, this.report.warmupMs);
          await this.opts.beforeReady(this.targets, budgetLeftMs);
        } catch (e) {
          reason = `${reason ? `${reason}; ` : ''}request-path warm-up failed: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      if (this.phase === 'failed') return this.status(); // the worker died meanwhile
      this.set(this.report.ready ? 'ready' : 'not-ready', reason);
      if (this.report.ready && this.opts.spec.keepWarmIdleMs > 0) this.startKeepWarm();
    } catch (e) {
      this.errorCode = (e as { code?: string }).code ?? 'E_UNEXPECTED';
      this.set('failed', e instanceof Error ? e.message : String(e));
    }
    return this.status();
  }

  /** Warm targets (the sets of inputs warm-up ran), once warm-up started. */
  get warmTargets(): readonly WarmTarget[] {
    return this.targets;
  }

  /** Outputs the model declares: name, element type and dims (strings are dynamic). */
  get outputs(): Array<{ name: string; type: string; dims: ReadonlyArray<number | string> }> {
    return (this.loaded?.session.outputMetadata ?? []).map((m) =>
      m.isTensor ? { name: m.name, type: m.type, dims: [...m.shape] } : { name: m.name, type: 'non-tensor', dims: [] },
    );
  }

  /** Largest elements accepted per input (warmed maximum x inputLimitFactor), from warm-up on; undefined: no limit. */
  get inputLimits(): Readonly<Record<string, number>> | undefined {
    return this.limits;
  }

  /**
   * Refuses (E_INPUT_TOO_LARGE) a tensor with more elements than the input's limit, naming the input, its dims,
   * the largest warmed dims and the limit.
   */
  checkInputLimits(feeds: Feeds): void {
    const over = this.overLimit(feeds);
    if (over) throw over;
  }

  /** The E_INPUT_TOO_LARGE error for the first tensor over its input's limit, or undefined. */
  private overLimit(feeds: Feeds): InferenceRequestError | undefined {
    const limits = this.limits;
    if (!limits) return undefined;
    for (const [name, t] of Object.entries(feeds)) {
      const max = limits[name];
      if (max === undefined || t.size <= max) continue;
      const warmed = this.limitDims?.[name] ?? [];
      return new InferenceRequestError(
        'E_INPUT_TOO_LARGE',
        `input ${name} [${t.dims.join(', ')}] has ${t.size} elements; model ${this.opts.name} accepts at most ${max} ` +
          `(${this.opts.inputLimitFactor ?? DEFAULT_INPUT_LIMIT_FACTOR} x the largest warmed [${warmed.join(', ')}]); ` +
          'send a smaller request, or warm a larger shape in the warm-up spec / raise --input-limit-factor',
      );
    }
    return undefined;
  }

  /**
   * Runs one inference in the worker (queued behind others, bounded queue). Callers check `ready` first. Throws
   * InferenceRequestError for sizes over the limit, a passed deadline and values ONNX Runtime refuses.
   */
  async infer(
    feeds: Feeds,
    options: InferOptions = {},
  ): Promise<{ outputs: ort.InferenceSession.OnnxValueMapType; latencyMs: number }> {
    const session = this.loaded?.session;
    if (!session)
      throw new InferenceRequestError('E_WORKER_EXITED', `model ${this.opts.name} is not loaded (phase ${this.phase})`);
    // A warm pass is checked as a request is (limits are set before warm-up), but never refused: with a limit factor
    // under 1 the largest warmed shapes are over it, and warm-up still runs them.
    const over = this.overLimit(feeds);
    if (over && !options.warm) throw over;
    const deadlineMs = options.deadlineMs;
    if (deadlineMs === undefined)
      return this.limiter.run(() => this.runServed(session, feeds, options.outputs, options.warm));
    const left = deadlineMs - this.clock.nowMs();
    const late = () =>
      new InferenceRequestError('E_DEADLINE', `model ${this.opts.name}: no answer within the request deadline`);
    if (left <= 0) throw late();
    const queueSignal = AbortSignal.timeout(Math.ceil(left));
    const work = this.limiter.run(() => this.runServed(session, feeds, options.outputs, options.warm), queueSignal);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late()), Math.ceil(left) + 1);
    });
    work.catch(() => undefined); // answered by the deadline; the run finishes in the worker and frees its slot
    try {
      return await Promise.race([work, expired]);
    } catch (e) {
      if ((e as { name?: string }).name === 'TimeoutError' || (e as { name?: string }).name === 'AbortError')
        throw late();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }

  private async runServed(
    session: InferenceWorker,
    feeds: Feeds,
    outputs: readonly string[] | undefined,
    warmPass = false,
  ): Promise<{ outputs: ort.InferenceSession.OnnxValueMapType; latencyMs: number }> {
    const t0 = this.clock.nowMs();
    const outputsRun = (await session.runTimed(feeds, outputs)).outputs;
    // Warm passes run every statement below too (see start): the recorder does not count them, and they are not padded.
    this.shapes.record(dimsOfFeeds(feeds), this.clock.nowMs() - t0, this.phase === 'ready', warmPass);
    // A timer may fire a fraction of a millisecond early against the clock: wait again for what is left.
    const until = t0 + (warmPass ? 0 : (this.opts.minServiceMs ?? 0));
    for (let left = until - this.clock.nowMs(); left > 0; left = until - this.clock.nowMs())
      await new Promise((resolve) => setTimeout(resolve, Math.ceil(left)));
    const end = this.clock.nowMs();
    this.keepWarm?.noteActivity(end);
    return { outputs: outputsRun, latencyMs: end - t0 };
  }

  private setLimits(): void {
    const factor = this.opts.inputLimitFactor ?? DEFAULT_INPUT_LIMIT_FACTOR;
    if (!(factor > 0) || this.targets.length === 0) return;
    const dims = largestWarmedDims(this.targets);
    this.limitDims = dims;
    this.limits = Object.fromEntries(
      Object.entries(dims).map(([k, d]) => [k, Math.max(1, Math.floor(d.reduce((a, b) => a * b, 1) * factor))]),
    );
  }

  /** Stop taking traffic: readiness goes false at once; resolves when in-flight inferences finished. */
  async drain(): Promise<void> {
    this.set('draining', 'draining: shutting down');
    this.keepWarm?.stop();
    await this.limiter.idle();
  }

  async close(): Promise<void> {
    this.keepWarm?.stop();
    await this.limiter.idle(); // a keep-warm pass or a request may still be running on the session
    await this.loaded?.session.release();
    this.loaded = undefined;
  }

  private startKeepWarm(): void {
    const light = this.targets; // one pass per representative shape
    this.keepWarm = new KeepWarm({
      idleMs: this.opts.spec.keepWarmIdleMs,
      clock: this.clock,
      lightPass: async () => {
        for (const t of light) await this.limiter.run(() => this.loaded!.session.run(t.feeds));
      },
    });
    this.keepWarm.start();
  }

  private set(phase: ReplicaPhase, reason: string | undefined): void {
    this.phase = phase;
    this.reason = reason;
  }
}
