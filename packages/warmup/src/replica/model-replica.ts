import type * as ort from 'onnxruntime-node';
import { ModelSessionFactory, type LoadedSession } from '../session/model-session-factory.js';
import { describeInputs, type Feeds, type ModelInputInfo } from '../session/feed-builder.js';
import type { SessionConfig } from '../session/session-options.js';
import { systemClock, type Clock } from '../warmup/clock.js';
import { readGpuMemory, type GpuMemorySample } from '../warmup/gpu-memory-probe.js';
import { KeepWarm } from '../warmup/keep-warm.js';
import { ProcessMemoryProbe, type MemoryProbe } from '../warmup/memory-probe.js';
import { buildWarmTargets, type WarmTarget } from '../warmup/warm-target.js';
import { WarmupEngine, type WarmupReport } from '../warmup/warmup-engine.js';
import type { WarmupSpec } from '../warmup/warmup-spec.js';
import { ConcurrencyLimiter } from './concurrency-limiter.js';

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
}

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
  private loaded: LoadedSession | undefined;
  private report: WarmupReport | undefined;
  private targets: WarmTarget[] = [];
  private keepWarm: KeepWarm | undefined;
  readonly limiter: ConcurrencyLimiter;
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
    return this.loaded ? describeInputs(this.loaded.session) : [];
  }

  get outputNames(): readonly string[] {
    return this.loaded?.session.outputNames ?? [];
  }

  get memoryProbe(): MemoryProbe {
    return this.memory;
  }

  status(): ReplicaStatus {
    const load = this.loaded ? (({ session: _s, ...rest }) => rest)(this.loaded) : undefined;
    return { phase: this.phase, reason: this.reason, errorCode: this.errorCode, load, warmup: this.report, keepWarmPasses: this.keepWarm?.passes ?? 0 };
  }

  /** Loads and warms. Never throws: a failure is phase `failed` with the reason (and the error returned). */
  async start(): Promise<ReplicaStatus> {
    try {
      this.set('loading', 'loading model');
      this.loaded = await new ModelSessionFactory(this.opts.session ?? {}).create(this.opts.modelPath);
      this.set('warming', 'warm-up running');
      const inputs = describeInputs(this.loaded.session);
      this.targets = buildWarmTargets(this.opts.spec, inputs, this.opts.modelPath, this.opts.recordedShapes);
      const session = this.loaded.session;
      const engine = new WarmupEngine({ run: (feeds) => session.run(feeds) }, this.opts.spec, {
        clock: this.clock,
        memory: this.memory,
        onPass: this.opts.onWarmPass,
        gpuMemory: this.loaded.executionProvider === 'cpu' ? undefined : (this.opts.gpuMemory ?? (() => readGpuMemory())),
      });
      this.report = await engine.run(this.targets);
      this.set(this.report.ready ? 'ready' : 'not-ready', this.report.reason);
      if (this.report.ready && this.opts.spec.keepWarmIdleMs > 0) this.startKeepWarm();
    } catch (e) {
      this.errorCode = (e as { code?: string }).code ?? 'E_UNEXPECTED';
      this.set('failed', e instanceof Error ? e.message : String(e));
    }
    return this.status();
  }

  /** Runs one inference (queued behind others). Callers check `ready` first. */
  async infer(feeds: Feeds): Promise<{ outputs: ort.InferenceSession.OnnxValueMapType; latencyMs: number }> {
    const session = this.loaded?.session;
    if (!session) throw new Error(`model ${this.opts.name} is not loaded (phase ${this.phase})`);
    return this.limiter.run(async () => {
      const t0 = this.clock.nowMs();
      const outputs = await session.run(feeds);
      // A timer may fire a fraction of a millisecond early against the clock: wait again for what is left.
      const until = t0 + (this.opts.minServiceMs ?? 0);
      for (let left = until - this.clock.nowMs(); left > 0; left = until - this.clock.nowMs()) await new Promise((resolve) => setTimeout(resolve, Math.ceil(left)));
      const end = this.clock.nowMs();
      this.keepWarm?.noteActivity(end);
      return { outputs, latencyMs: end - t0 };
    });
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
