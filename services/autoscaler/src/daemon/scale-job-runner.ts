import type { ScaleJob, ScaleQueue } from '@warmpool/domain';
import { JobDeferredError, type ObservableScaleQueue, type ScaleJobEvent } from '@warmpool/queue';
import { loggedError } from './daemon-record.js';
import type { DaemonView } from './daemon-deps.js';

interface PausableQueue {
  process(handler: (job: ScaleJob) => Promise<void>, options: { readonly paused?: boolean }): void;
  pause(): Promise<void>;
  resume(): void;
}

function isPausable(q: ScaleQueue): q is ScaleQueue & PausableQueue {
  const p = q as Partial<PausableQueue>;
  return typeof p.pause === 'function' && typeof p.resume === 'function';
}

function isObservable(q: ScaleQueue): q is ObservableScaleQueue {
  return typeof (q as Partial<ObservableScaleQueue>).subscribe === 'function';
}

/**
 * The daemon's side of the scale queue: the worker's handler (only the leader applies a job, stale jobs are skipped,
 * the fencing check runs where the provider acts), pausing the worker while this daemon follows, and one log record
 * per job event.
 */
export class ScaleJobRunner {
  /** Whether the queue worker takes jobs (only while this daemon leads). */
  private consuming = false;
  /** Jobs runJob skipped as stale: their `completed` event is not a scale. */
  private readonly skippedJobs = new Set<string>();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly daemon: DaemonView) {}

  /** Subscribes to the queue's events and starts its worker (paused where the queue can pause: see setConsuming). */
  start(): void {
    const queue = this.daemon.deps.queue;
    if (isObservable(queue)) this.unsubscribe = queue.subscribe((e) => this.onJobEvent(e));
    if (isPausable(queue)) queue.process((job) => this.runJob(job), { paused: true });
    else queue.process((job) => this.runJob(job));
  }

  /** Stops listening to the queue's events (after the queue is closed). */
  stop(): void {
    this.unsubscribe?.();
  }

  /** A job record for a job this daemon hands back or drops without applying it (no attempt used). */
  private writeUnappliedJob(job: ScaleJob, event: 'deferred' | 'skipped', message: string): void {
    this.daemon.write({
      kind: 'job',
      time: this.daemon.iso(),
      model: job.request.model,
      jobId: job.id,
      event,
      replicas: job.request.replicas,
      attempt: null,
      message,
    });
  }

  /**
   * The queue's handler: the scale itself (the provider applies each idempotency key once). A job that comes
   * due long after it was decided (recovered after a crash, held up by a Redis outage) is not applied: the world
   * has moved on and the current tick decides afresh.
   */
  private async runJob(job: ScaleJob): Promise<void> {
    const d = this.daemon;
    const leadership = d.deps.leadership;
    const retryMs = Math.max(500, d.config.tickS * 1000);
    if (!(d.campaigning && leadership.isLeader())) {
      // A follower's (or dry run's) worker never applies a job: back to the queue for the leader's worker.
      this.writeUnappliedJob(
        job,
        'deferred',
        `${leadership.identity} does not lead: left to the leader (due again in ${retryMs} ms)`,
      );
      throw new JobDeferredError(`${leadership.identity} does not lead`, retryMs);
    }
    const lateMs = d.now() - job.runAtMs;
    const staleMs = Math.max(120_000, d.config.tickS * 10_000);
    if (lateMs > staleMs) {
      this.skippedJobs.add(job.id);
      this.writeUnappliedJob(
        job,
        'skipped',
        `not applied: due ${Math.round(lateMs / 1000)} s ago (stale after ${staleMs / 1000} s); the next tick decides afresh`,
      );
      return;
    }
    try {
      // The fencing check where the provider acts: this daemon's term must still be the current one.
      await leadership.fence?.();
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'E_FENCED_OFF') throw err;
      this.writeUnappliedJob(job, 'deferred', `fenced off, not applied: ${(err as Error).message}`);
      throw new JobDeferredError((err as Error).message, retryMs, { cause: err });
    }
    await d.deps.provider.scale(job.request);
  }

  /** The queue worker takes jobs only while this daemon leads. */
  setConsuming(leader: boolean): void {
    const q = this.daemon.deps.queue;
    if (!isPausable(q) || leader === this.consuming || !this.daemon.running) return;
    this.consuming = leader;
    if (leader) q.resume();
    else
      void q.pause().catch((err: unknown) =>
        this.daemon.write({
          kind: 'error',
          time: this.daemon.iso(),
          event: 'queue-error',
          message: 'could not pause the queue worker',
          error: loggedError('queue', err),
        }),
      );
  }

  private onJobEvent(e: ScaleJobEvent): void {
    const d = this.daemon;
    if (e.type === 'error') {
      d.write({
        kind: 'error',
        time: d.iso(),
        event: 'queue-error',
        message: e.error.message,
        error: loggedError('queue', e.error),
      });
      return;
    }
    const job = 'job' in e ? e.job : undefined;
    const jobId = job?.id ?? ('jobId' in e ? e.jobId : 'unknown');
    const base = {
      kind: 'job' as const,
      time: d.iso(),
      model: job?.request.model ?? null,
      jobId,
      replicas: job?.request.replicas ?? null,
      attempt: 'attempt' in e ? e.attempt : null,
    };
    if (e.type === 'completed') {
      if (job && this.skippedJobs.delete(job.id)) return;
      if (job) d.loops.get(job.request.model)?.jobCompleted(job.id);
      d.write({ ...base, event: 'completed', message: `scaled to ${job?.request.replicas}` });
    } else if (e.type === 'retrying')
      d.write({
        ...base,
        event: 'retrying',
        error: loggedError('scale', e.error),
        message: `attempt ${e.attempt} failed, retrying in ${e.retryInMs} ms`,
      });
    else if (e.type === 'failed')
      d.write({
        ...base,
        event: 'failed',
        error: loggedError('scale', e.error),
        message: `given up after ${e.attempt} attempt(s)`,
      });
    else d.write({ ...base, event: 'stalled', message: 'the worker running it was lost; it runs again' });
  }
}
