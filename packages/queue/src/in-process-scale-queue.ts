import { FieldReader, ValidationError, WarmpoolError, type EnqueueResult, type ScaleJob } from '@warmpool/domain';
import { BackoffPolicy, isRetryable } from './backoff-policy.js';
import { isJobDeferred } from './errors/job-deferred-error.js';
import { QueueClosedError } from './errors/queue-closed-error.js';
import type {
  ObservableScaleQueue,
  RetryOptions,
  ScaleJobEvent,
  ScaleJobListener,
} from './interfaces/scale-job-event.js';
import { systemClock, type TimerClock, type TimerHandle } from './interfaces/timer-clock.js';
import { EventHub } from './event-hub.js';
import { validateScaleJob } from './scale-job-codec.js';

export interface InProcessScaleQueueOptions extends RetryOptions {
  /** Time and timers; inject a `ManualClock` to drive time by hand. Default: the system clock. */
  readonly clock?: TimerClock;
  /** How long the id of a finished (completed or failed) job is remembered, so re-enqueueing it is a no-op. Default 24 h. */
  readonly retentionMs?: number;
  /** Name used in messages. Default `in-process scale queue`. */
  readonly name?: string;
}

type EntryState = 'waiting' | 'running' | 'completed' | 'failed';

interface Entry {
  readonly job: ScaleJob;
  seq: number;
  dueAtMs: number;
  attemptsMade: number;
  state: EntryState;
  finishedAtMs: number;
}

const DAY_MS = 86_400_000;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * The embedded default scale queue: no Redis, nothing survives a restart. Jobs run one at a time in
 * `runAtMs` order (ties in enqueue order), at or after `runAtMs` by the injected clock. The same id is
 * run once: enqueueing an id that is waiting, running, or finished within `retentionMs` is a no-op.
 */
export class InProcessScaleQueue implements ObservableScaleQueue {
  readonly name: string;
  private readonly clock: TimerClock;
  private readonly backoff: BackoffPolicy;
  private readonly retentionMs: number;
  private readonly events = new EventHub<ScaleJobEvent>((error) => ({ type: 'error', error }));
  private readonly entries = new Map<string, Entry>();
  private handler: ((job: ScaleJob) => Promise<void>) | undefined;
  private timer: TimerHandle | undefined;
  private timerDueAtMs = Infinity;
  private running: Promise<void> | undefined;
  private closed = false;
  private paused = false;
  private seq = 0;

  constructor(options: InProcessScaleQueueOptions = {}) {
    this.name = options.name ?? 'in-process scale queue';
    this.clock = options.clock ?? systemClock;
    this.backoff = new BackoffPolicy(options, this.name);
    const r = new FieldReader({ retentionMs: options.retentionMs });
    this.retentionMs = r.number('retentionMs', { default: DAY_MS, min: 0 });
    if (r.issues.length > 0) throw new ValidationError(r.issues, this.name);
  }

  subscribe(listener: ScaleJobListener): () => void {
    return this.events.subscribe(listener);
  }

  async enqueue(input: ScaleJob): Promise<EnqueueResult> {
    if (this.closed) throw new QueueClosedError(this.name, `enqueue job ${String(input?.id)}`);
    const job = validateScaleJob(input);
    this.forgetExpired();
    if (this.entries.has(job.id)) return { id: job.id, deduplicated: true };
    this.entries.set(job.id, {
      job,
      seq: ++this.seq,
      dueAtMs: job.runAtMs,
      attemptsMade: 0,
      state: 'waiting',
      finishedAtMs: 0,
    });
    this.schedule();
    return { id: job.id, deduplicated: false };
  }

  /** Starts running jobs; with `paused: true` none runs until `resume()` (a daemon consumes only while it leads). */
  process(handler: (job: ScaleJob) => Promise<void>, options: { readonly paused?: boolean } = {}): void {
    if (this.closed) throw new QueueClosedError(this.name, 'start processing');
    if (this.handler)
      throw new WarmpoolError(
        'E_QUEUE_HANDLER_SET',
        `${this.name}: process() was already called; one handler per queue`,
      );
    this.handler = handler;
    this.paused = options.paused ?? false;
    this.schedule();
  }

  /** Runs no new job until `resume()` (the running one finishes). */
  async pause(): Promise<void> {
    this.paused = true;
    this.clearTimer();
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  get processing(): boolean {
    return this.handler !== undefined && !this.closed && !this.paused;
  }

  /** Always reachable (readiness). */
  async ping(): Promise<void> {
    if (this.closed) throw new QueueClosedError(this.name, 'ping');
  }

  /** Stops: drops timers and waiting jobs, waits for the running job to finish. Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    await this.running;
  }

  /** Jobs not yet finished (waiting or running). */
  get pendingCount(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state === 'waiting' || e.state === 'running') n++;
    return n;
  }

  private schedule(): void {
    if (this.closed || this.paused || !this.handler || this.running) return;
    const next = this.nextWaiting();
    if (!next) {
      this.clearTimer();
      return;
    }
    if (next.dueAtMs <= this.clock.now()) {
      this.clearTimer();
      this.running = this.run(next, this.handler);
      return;
    }
    if (this.timer !== undefined && this.timerDueAtMs === next.dueAtMs) return;
    this.clearTimer();
    this.timerDueAtMs = next.dueAtMs;
    this.timer = this.clock.setTimer(() => {
      this.timer = undefined;
      this.timerDueAtMs = Infinity;
      this.schedule();
    }, next.dueAtMs - this.clock.now());
  }

  private async run(entry: Entry, handler: (job: ScaleJob) => Promise<void>): Promise<void> {
    entry.state = 'running';
    entry.attemptsMade++;
    try {
      await Promise.resolve(); // never run the handler inside enqueue()/process()
      try {
        await handler(entry.job);
        this.finish(entry, 'completed');
        this.events.emit({ type: 'completed', job: entry.job, attempt: entry.attemptsMade });
      } catch (err) {
        if (isJobDeferred(err)) {
          // Not run here and now: due again later, and the attempt does not count.
          entry.attemptsMade--;
          entry.state = 'waiting';
          entry.dueAtMs = this.clock.now() + (err as { retryInMs: number }).retryInMs;
          entry.seq = ++this.seq;
        } else this.onHandlerError(entry, asError(err), isRetryable(err));
      }
    } finally {
      this.running = undefined;
      this.schedule();
    }
  }

  private onHandlerError(entry: Entry, error: Error, retryable: boolean): void {
    if (retryable && this.backoff.shouldRetry(entry.attemptsMade)) {
      const retryInMs = this.backoff.retryDelayMs(entry.attemptsMade);
      entry.state = 'waiting';
      entry.dueAtMs = this.clock.now() + retryInMs;
      entry.seq = ++this.seq;
      this.events.emit({ type: 'retrying', job: entry.job, attempt: entry.attemptsMade, error, retryInMs });
      return;
    }
    this.finish(entry, 'failed');
    this.events.emit({ type: 'failed', job: entry.job, jobId: entry.job.id, attempt: entry.attemptsMade, error });
  }

  private finish(entry: Entry, state: 'completed' | 'failed'): void {
    entry.state = state;
    entry.finishedAtMs = this.clock.now();
  }

  private nextWaiting(): Entry | undefined {
    let best: Entry | undefined;
    for (const e of this.entries.values()) {
      if (e.state !== 'waiting') continue;
      if (!best || e.dueAtMs < best.dueAtMs || (e.dueAtMs === best.dueAtMs && e.seq < best.seq)) best = e;
    }
    return best;
  }

  private forgetExpired(): void {
    const now = this.clock.now();
    for (const [id, e] of this.entries) {
      if ((e.state === 'completed' || e.state === 'failed') && now - e.finishedAtMs >= this.retentionMs)
        this.entries.delete(id);
    }
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.timerDueAtMs = Infinity;
  }
}
