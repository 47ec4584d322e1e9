import type { Clock } from './clock.js';

export interface KeepWarmOptions {
  /** Idle time after which a light pass runs. */
  readonly idleMs: number;
  readonly clock: Clock;
  /** A light pass: e.g. one inference per representative shape. */
  readonly lightPass: () => Promise<void>;
  /** Called when a light pass fails (the replica keeps serving; the caller decides what to report). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Keeps a replica warm: when nothing ran for `idleMs`, runs a light pass so latency does not drift
 * back up (ONNX Runtime on CUDA slows after seconds of idleness). `maybeRun(now)` is the decision;
 * `start()` only polls it on a timer.
 */
export class KeepWarm {
  private lastActivityMs: number;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  passes = 0;

  constructor(private readonly opts: KeepWarmOptions) {
    if (!(opts.idleMs > 0)) throw new RangeError(`keep-warm idleMs must be > 0, got ${opts.idleMs}`);
    this.lastActivityMs = opts.clock.nowMs();
  }

  /** A user request ran: the replica is not idle. */
  noteActivity(nowMs: number): void {
    this.lastActivityMs = Math.max(this.lastActivityMs, nowMs);
  }

  /** Runs a light pass if idle long enough; true when it ran one. */
  async maybeRun(nowMs: number): Promise<boolean> {
    if (this.running || nowMs - this.lastActivityMs < this.opts.idleMs) return false;
    this.running = true;
    try {
      await this.opts.lightPass();
      this.passes += 1;
    } catch (e) {
      this.opts.onError?.(e);
    } finally {
      this.running = false;
      this.lastActivityMs = this.opts.clock.nowMs();
    }
    return true;
  }

  start(pollMs = Math.max(50, Math.floor(this.opts.idleMs / 4))): void {
    this.stop();
    this.timer = setInterval(() => void this.maybeRun(this.opts.clock.nowMs()), pollMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
