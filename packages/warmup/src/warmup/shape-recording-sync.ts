import type { ShapeRecorder } from './shape-recorder.js';
import type { ShapeStore } from './shape-store.js';

export interface ShapeRecordingSyncOptions {
  readonly recorder: ShapeRecorder;
  readonly store: ShapeStore;
  /** Save every this often (default 30 s); the timer never keeps the process alive. */
  readonly intervalMs?: number;
  /** A failed save (the store unreachable): reported, and the next save tries again. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Saves a replica's shape recording to a store on an interval and once more on stop, so the next
 * replica starts from the shapes production sends. One save at a time; a save never throws.
 */
export class ShapeRecordingSync {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly opts: ShapeRecordingSyncOptions) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush(), this.opts.intervalMs ?? 30_000);
    this.timer.unref();
  }

  /** Saves now (waits for a save already running first). */
  async flush(): Promise<void> {
    if (this.running) await this.running;
    this.running = this.opts.store.save(this.opts.recorder.snapshot()).catch((e: unknown) => this.opts.onError?.(e));
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /** Stops the timer and saves one last time. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
