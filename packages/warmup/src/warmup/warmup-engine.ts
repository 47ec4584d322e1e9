import { WarmupError } from '../errors/warmup-error.js';
import type { Feeds } from '../session/feed-builder.js';
import type { Clock } from './clock.js';
import { median } from '@warmpool/domain';
import { ConvergenceDetector } from './convergence-detector.js';
import type { GpuMemorySample } from './gpu-memory-probe.js';
import type { MemoryProbe } from './memory-probe.js';
import type { WarmTarget } from './warm-target.js';
import type { OnTimeoutPolicy, WarmupSpec } from './warmup-spec.js';

/** What warm passes run on: a session, or a scripted fake in tests. */
export interface InferenceRunner {
  run(feeds: Feeds): Promise<unknown>;
}

export interface ShapeWarmupReport {
  readonly label: string;
  readonly passes: number;
  readonly firstPassMs: number;
  readonly converged: boolean;
  /** Median of the last windows' medians: the steady-state latency estimate. */
  readonly steadyP50Ms: number;
  readonly windowMediansMs: readonly number[];
  /** Why it did not converge, in one short line (undefined when it did). */
  readonly reason: string | undefined;
}

export interface ConcurrencyReport {
  readonly level: number;
  readonly requests: number;
  readonly p50Ms: number;
  readonly maxMs: number;
}

export interface MemoryReport {
  readonly peakRssBytes: number;
  readonly limitBytes: number;
  readonly limitSource: string;
  readonly maxFraction: number;
  /** peakRssBytes / limitBytes */
  readonly usedFraction: number;
  /** Accelerator memory after the largest shape, where measured (device-wide). */
  readonly gpu: (GpuMemorySample & { usedFraction: number }) | undefined;
  readonly ok: boolean;
}

export type WarmupOutcome = 'converged' | 'registered-unconverged' | 'not-converged' | 'no-headroom';

/** The result of a warm-up: whether the replica may take traffic, and why (or why not). */
export interface WarmupReport {
  readonly ready: boolean;
  readonly converged: boolean;
  readonly outcome: WarmupOutcome;
  /** Human text; always set when not converged or not ready. */
  readonly reason: string | undefined;
  readonly policy: OnTimeoutPolicy;
  readonly warmupMs: number;
  readonly totalPasses: number;
  /** Passes run last to reach `minPasses` in all (round-robin over the targets, fresh feeds). */
  readonly settlePasses: number;
  readonly shapes: readonly ShapeWarmupReport[];
  readonly concurrency: ConcurrencyReport | undefined;
  readonly memory: MemoryReport;
}

export interface WarmupEngineDeps {
  readonly clock: Clock;
  readonly memory: MemoryProbe;
  /** Progress hook (e.g. heartbeats to a lifecycle hook while warming). */
  readonly onPass?: (label: string, latencyMs: number) => void;
  /** Accelerator memory, where there is one to measure (undefined: not checked). */
  readonly gpuMemory?: () => GpuMemorySample | undefined;
}

/**
 * Runs warm passes per target (smallest first, so the largest runs last before the memory check)
 * until each has converged (ConvergenceDetector), within one time budget for all; then a
 * concurrency pass; then checks peak RSS against the memory limit.
 */
export class WarmupEngine {
  constructor(
    private readonly runner: InferenceRunner,
    private readonly spec: WarmupSpec,
    private readonly deps: WarmupEngineDeps,
  ) {}

  async run(targets: readonly WarmTarget[]): Promise<WarmupReport> {
    if (targets.length === 0)
      throw new WarmupError('E_WARMUP_SPEC', 'warm-up has no shapes and no recorded inputs to run');
    const { clock } = this.deps;
    const started = clock.nowMs();
    const deadline = started + this.spec.budgetMs;
    const ordered = [...targets].sort((a, b) => a.elements - b.elements);
    const shapes: ShapeWarmupReport[] = [];
    let totalPasses = 0;
    let budgetOut = false;

    for (const target of ordered) {
      const detector = new ConvergenceDetector(
        this.spec.windowSize,
        this.spec.tolerance,
        this.spec.convergenceWindows ?? 3,
      );
      let firstPassMs = Number.NaN;
      let last: number[] = [];
      // Every target gets at least one pass, even once the budget is spent: it proves the shape
      // runs and feeds the memory check.
      do {
        const ms = await this.timed(target);
        totalPasses += 1;
        if (Number.isNaN(firstPassMs)) firstPassMs = ms;
        last = [...last.slice(-(this.spec.windowSize - 1)), ms];
        const state = detector.add(ms);
        if (state.converged) break;
        if (state.passes >= this.spec.maxPassesPerShape) break;
        if (clock.nowMs() >= deadline) {
          budgetOut = true;
          break;
        }
      } while (!budgetOut);
      const state = detector.state();
      shapes.push({
        label: target.label,
        passes: state.passes,
        firstPassMs,
        converged: state.converged,
        steadyP50Ms: state.steadyMs ?? median(last),
        windowMediansMs: state.windowMediansMs,
        reason: detector.reason(),
      });
    }

    const concurrency =
      clock.nowMs() < deadline && this.spec.concurrencyRounds > 0 ? await this.concurrencyPass(ordered) : undefined;
    if (concurrency) totalPasses += concurrency.requests;
    // Serial passes last: what follows readiness is ordinary traffic, not the concurrency burst.
    const settlePasses = await this.settle(ordered, totalPasses, deadline);
    totalPasses += settlePasses;

    const memory = this.checkMemory();
    const converged = shapes.every((s) => s.converged);
    const warmupMs = clock.nowMs() - started;
    const unconverged = shapes.filter((s) => !s.converged);
    let outcome: WarmupOutcome = 'converged';
    let reason: string | undefined;
    if (!converged) {
      const shown = unconverged.slice(0, 3).map((s) => `${s.label} after ${s.passes} passes (${s.reason})`);
      if (unconverged.length > 3) shown.push(`${unconverged.length - 3} more shapes`);
      const why = shown.join('; ');
      const limit = budgetOut
        ? `within the ${this.spec.budgetMs} ms budget`
        : `within ${this.spec.maxPassesPerShape} passes`;
      outcome = this.spec.onTimeout === 'register-anyway' ? 'registered-unconverged' : 'not-converged';
      reason =
        `latency did not converge ${limit} for ${why}` +
        (this.spec.onTimeout === 'register-anyway'
          ? '; registering anyway (policy register-anyway)'
          : '; not ready (policy fail)');
    }
    if (!memory.ok) {
      outcome = 'no-headroom';
      const problems: string[] = [];
      const under = `must stay under ${(memory.maxFraction * 100).toFixed(0)} %`;
      if (memory.usedFraction >= memory.maxFraction) {
        problems.push(
          `peak RSS ${mib(memory.peakRssBytes)} MiB is ${(memory.usedFraction * 100).toFixed(1)} % of the ${mib(memory.limitBytes)} MiB limit (${memory.limitSource}); ${under}`,
        );
      }
      if (memory.gpu && memory.gpu.usedFraction >= memory.maxFraction) {
        problems.push(
          `GPU ${memory.gpu.device} memory ${mib(memory.gpu.usedBytes)} MiB is ${(memory.gpu.usedFraction * 100).toFixed(1)} % of ${mib(memory.gpu.totalBytes)} MiB; ${under}`,
        );
      }
      const text = problems.join('; ');
      reason = reason ? `${text}; ${reason}` : text;
    }
    const ready = memory.ok && (converged || this.spec.onTimeout === 'register-anyway');
    return {
      ready,
      converged,
      outcome,
      reason,
      policy: this.spec.onTimeout,
      warmupMs,
      totalPasses,
      settlePasses,
      shapes,
      concurrency,
      memory,
    };
  }

  /** One timed pass; `seed`: fresh feeds of the target's shape (requests bring new buffers), else its own feeds. */
  private async timed(target: WarmTarget, seed?: number): Promise<number> {
    const feeds = seed !== undefined && target.feedsFor ? target.feedsFor(seed) : target.feeds;
    const t0 = this.deps.clock.nowMs();
    try {
      await this.runner.run(feeds);
    } catch (e) {
      throw new WarmupError(
        'E_WARMUP_RUN',
        `warm pass on ${target.label} failed: ${e instanceof Error ? e.message : String(e)}`,
        { cause: e },
      );
    }
    const ms = this.deps.clock.nowMs() - t0;
    this.deps.onPass?.(target.label, ms);
    return ms;
  }

  /**
   * Latency converges before the code around the model is done getting faster: the JavaScript of
   * the run path (tensor checks, the hop to the session) speeds up over some hundreds of calls,
   * shared by every shape, and the first requests after a concurrency burst run slower. So warm-up
   * ends with serial passes round-robin over the targets, with fresh feeds as requests have, until
   * `minPasses` passes ran in all, spending at most `settleBudgetFraction` of the budget on them (a
   * model slow per pass has little such overhead relative to its run). Returns the passes run.
   */
  private async settle(targets: readonly WarmTarget[], done: number, deadline: number): Promise<number> {
    const { clock } = this.deps;
    const until = Math.min(deadline, clock.nowMs() + this.spec.budgetMs * (this.spec.settleBudgetFraction ?? 0.1));
    const want = (this.spec.minPasses ?? 0) - done;
    let n = 0;
    for (let k = 0; n < want && clock.nowMs() < until; k++) {
      await this.timed(targets[k % targets.length]!, 100_000 + k);
      n += 1;
    }
    return n;
  }

  /** `level` requests at once, `concurrencyRounds` times, cycling over the targets. */
  private async concurrencyPass(targets: readonly WarmTarget[]): Promise<ConcurrencyReport> {
    const level = this.spec.concurrency;
    const latencies: number[] = [];
    let k = 0;
    for (let round = 0; round < this.spec.concurrencyRounds; round++) {
      const batch = Array.from({ length: level }, () => targets[k++ % targets.length]!);
      latencies.push(...(await Promise.all(batch.map((t) => this.timed(t)))));
    }
    return { level, requests: latencies.length, p50Ms: median(latencies), maxMs: Math.max(...latencies) };
  }

  private checkMemory(): MemoryReport {
    const { memory } = this.deps;
    const peakRssBytes = memory.peakRssBytes();
    const limitBytes = memory.limitBytes();
    const usedFraction = peakRssBytes / limitBytes;
    const g = this.deps.gpuMemory?.();
    const gpu = g ? { ...g, usedFraction: g.usedBytes / g.totalBytes } : undefined;
    const max = this.spec.maxMemoryFraction;
    return {
      peakRssBytes,
      limitBytes,
      limitSource: memory.limitSource(),
      maxFraction: max,
      usedFraction,
      gpu,
      ok: usedFraction < max && (!gpu || gpu.usedFraction < max),
    };
  }
}

function mib(bytes: number): string {
  return (bytes / 2 ** 20).toFixed(0);
}
