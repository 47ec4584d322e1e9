import { randomUUID } from 'node:crypto';
import { DelayedError, Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { FieldReader, ValidationError, WarmpoolError, type EnqueueResult, type ScaleJob } from '@warmpool/domain';
import { BackoffPolicy, isRetryable } from './backoff-policy.js';
import { isJobDeferred } from './errors/job-deferred-error.js';
import { QueueClosedError } from './errors/queue-closed-error.js';
import { RedisUnavailableError } from './errors/redis-unavailable-error.js';
import { ScaleJobFormatError } from './errors/scale-job-format-error.js';
import type {
  ObservableScaleQueue,
  RetryOptions,
  ScaleJobEvent,
  ScaleJobListener,
} from './interfaces/scale-job-event.js';
import {
  createRedisClient,
  DEFAULT_REDIS_URL,
  isConnectionError,
  redactRedisUrl,
  withDeadline,
} from './redis-client-factory.js';
import { EventHub } from './event-hub.js';
import { bullJobIdFor, readScaleJob, validateScaleJob, type StoredScaleJob } from './scale-job-codec.js';

export interface BullMqScaleQueueOptions extends RetryOptions {
  /** Default `redis://127.0.0.1:6379`. */
  readonly redisUrl?: string;
  /** BullMQ queue name. Default `scale-jobs`. */
  readonly queueName?: string;
  /** Redis key prefix. Default `warmpool`. */
  readonly prefix?: string;
  /** How long finished jobs (completed or failed) are kept, so the same id is not run again. Default 24 h. */
  readonly retentionMs?: number;
  /** Longest wait for Redis on `enqueue` before failing with `RedisUnavailableError`. Default 5000. */
  readonly enqueueTimeoutMs?: number;
  /** A worker's lock on a running job; a worker that stops renewing it loses the job. Default 30000. */
  readonly lockDurationMs?: number;
  /** How often workers look for jobs whose lock expired (stalled) and put them back. Default 30000. */
  readonly stalledIntervalMs?: number;
  /** Times a job may stall before it is failed. Default 2. */
  readonly maxStalledCount?: number;
  /** Jobs run at once by this process. Default 1. */
  readonly concurrency?: number;
  /** Wait before a worker retries after a Redis error. Default 1000. */
  readonly workerRetryDelayMs?: number;
  /** Longest wait between Redis reconnect attempts. Default 2000. */
  readonly reconnectMaxDelayMs?: number;
  /** Longest wait of `close()` for the running job before connections are cut. Default 10000. */
  readonly closeTimeoutMs?: number;
}

const JOB_NAME = 'scale';
/** The job's backoff type: not one of BullMQ's own, so the worker's backoffStrategy (the domain's full jitter) decides. */
const BACKOFF_TYPE = 'warmpool-full-jitter';
/** Retry delays kept for the failed events at once; the oldest is dropped past this. */
const MAX_PENDING_RETRY_DELAYS = 10_000;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Durable scale queue on BullMQ. The BullMQ job id is derived from the scale job id, and finished jobs are kept
 * for `retentionMs`, so a restarted or second daemon enqueueing the same id gets `deduplicated: true` and the job
 * runs once. A job whose worker dies is put back after its lock expires and run by another worker.
 */
export class BullMqScaleQueue implements ObservableScaleQueue {
  readonly queueName: string;
  readonly redisUrl: string;
  private readonly url: string;
  private readonly prefix: string;
  private readonly backoff: BackoffPolicy;
  private readonly retentionS: number;
  private readonly options: Required<
    Pick<
      BullMqScaleQueueOptions,
      | 'enqueueTimeoutMs'
      | 'lockDurationMs'
      | 'stalledIntervalMs'
      | 'maxStalledCount'
      | 'concurrency'
      | 'workerRetryDelayMs'
      | 'closeTimeoutMs'
    >
  >;
  private readonly events = new EventHub<ScaleJobEvent>((error) => ({ type: 'error', error }));
  private readonly reconnectMaxDelayMs: number | undefined;
  private readonly producerConnection: Redis;
  private readonly queue: Queue<StoredScaleJob>;
  private workerConnection: Redis | undefined;
  private worker: Worker<StoredScaleJob> | undefined;
  private closing: Promise<void> | undefined;
  /** Delays handed to BullMQ per `jobId:attempt`, until the failed event reads them (bounded). */
  private readonly retryDelays = new Map<string, number>();

  constructor(options: BullMqScaleQueueOptions = {}) {
    this.url = options.redisUrl ?? DEFAULT_REDIS_URL;
    this.redisUrl = redactRedisUrl(this.url);
    this.queueName = options.queueName ?? 'scale-jobs';
    this.prefix = options.prefix ?? 'warmpool';
    const source = `BullMQ scale queue ${this.queueName}`;
    this.backoff = new BackoffPolicy(options, source);
    const r = new FieldReader({ ...options });
    r.string('redisUrl', {
      default: DEFAULT_REDIS_URL,
      pattern: /^rediss?:\/\/[^\s]+$/,
      patternText: 'a redis:// or rediss:// URL',
    });
    const retentionMs = r.number('retentionMs', { default: 86_400_000, min: 1000 });
    this.retentionS = Math.ceil(retentionMs / 1000);
    this.options = {
      enqueueTimeoutMs: r.number('enqueueTimeoutMs', { default: 5000, min: 1 }),
      lockDurationMs: r.number('lockDurationMs', { default: 30_000, min: 100, integer: true }),
      stalledIntervalMs: r.number('stalledIntervalMs', { default: 30_000, min: 50, integer: true }),
      maxStalledCount: r.number('maxStalledCount', { default: 2, min: 0, integer: true }),
      concurrency: r.number('concurrency', { default: 1, min: 1, max: 1000, integer: true }),
      workerRetryDelayMs: r.number('workerRetryDelayMs', { default: 1000, min: 1, integer: true }),
      closeTimeoutMs: r.number('closeTimeoutMs', { default: 10_000, min: 1 }),
    };
    if (r.issues.length > 0) throw new ValidationError(r.issues, source);
    // The producer fails queued commands after one failed reconnect instead of holding them for later.
    // Connection errors reach us through BullMQ's 'error' events (it listens on the connections it is given).
    this.producerConnection = createRedisClient(this.url, {
      maxRetriesPerRequest: 1,
      reconnectMaxDelayMs: options.reconnectMaxDelayMs,
      connectionName: `warmpool:${this.queueName}:producer`,
    });
    this.queue = new Queue<StoredScaleJob>(this.queueName, {
      connection: this.producerConnection,
      prefix: this.prefix,
    });
    this.queue.on('error', (error: Error) => this.reportError('producer', error));
    this.reconnectMaxDelayMs = options.reconnectMaxDelayMs;
  }

  subscribe(listener: ScaleJobListener): () => void {
    return this.events.subscribe(listener);
  }

  async enqueue(input: ScaleJob): Promise<EnqueueResult> {
    if (this.closing)
      throw new QueueClosedError(`BullMQ scale queue ${this.queueName}`, `enqueue job ${String(input?.id)}`);
    const job = validateScaleJob(input);
    const operation = `enqueue scale job ${job.id} on queue ${this.queueName}`;
    const work = this.add(job).catch((err: unknown) => {
      throw this.unavailable(operation, asError(err).message, err);
    });
    return withDeadline(work, this.options.enqueueTimeoutMs, () =>
      this.unavailable(operation, `no answer within ${this.options.enqueueTimeoutMs} ms`),
    );
  }

  /**
   * Starts the worker. With `paused: true` it takes no job until `resume()`: a daemon's worker consumes scale jobs
   * only while its daemon leads (a follower's worker would otherwise run the leader's jobs).
   */
  process(handler: (job: ScaleJob) => Promise<void>, options: { readonly paused?: boolean } = {}): void {
    if (this.closing) throw new QueueClosedError(`BullMQ scale queue ${this.queueName}`, 'start processing');
    if (this.worker)
      throw new WarmpoolError(
        'E_QUEUE_HANDLER_SET',
        `BullMQ scale queue ${this.queueName}: process() was already called; one handler per queue`,
      );
    this.workerConnection = createRedisClient(this.url, {
      maxRetriesPerRequest: null,
      reconnectMaxDelayMs: this.reconnectMaxDelayMs,
      connectionName: `warmpool:${this.queueName}:worker`,
    });
    const worker = new Worker<StoredScaleJob>(
      this.queueName,
      (bullJob, token) => this.runJob(bullJob, handler, token),
      {
        connection: this.workerConnection,
        prefix: this.prefix,
        concurrency: this.options.concurrency,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: this.options.stalledIntervalMs,
        maxStalledCount: this.options.maxStalledCount,
        runRetryDelay: this.options.workerRetryDelayMs,
        autorun: !(options.paused ?? false),
        settings: {
          backoffStrategy: (attemptsMade, _type, _err, bullJob) => this.retryDelayFor(bullJob?.id, attemptsMade),
        },
      },
    );
    worker.on('completed', (bullJob) => {
      const job = this.decode(bullJob);
      if (!(job instanceof ScaleJobFormatError))
        this.events.emit({ type: 'completed', job, attempt: bullJob.attemptsMade });
    });
    worker.on('failed', (bullJob, error) => this.onFailed(bullJob, error));
    worker.on('stalled', (bullJobId) => this.events.emit({ type: 'stalled', jobId: this.scaleJobIdOf(bullJobId) }));
    worker.on('error', (error) => this.reportError('worker', error));
    this.worker = worker;
  }

  /** Takes no new job (a running one finishes); `resume()` takes jobs again. No-op before `process()`. */
  async pause(): Promise<void> {
    if (this.worker && !this.closing) await this.worker.pause(true);
  }

  /** Takes jobs again after `pause()` (or starts a worker created paused). */
  resume(): void {
    if (this.worker && !this.closing) this.worker.resume();
  }

  /** True while a worker exists and takes jobs. */
  get processing(): boolean {
    return this.worker !== undefined && !this.closing && this.worker.isRunning() && !this.worker.isPaused();
  }

  /** Round trip to Redis within `enqueueTimeoutMs` (readiness): throws RedisUnavailableError otherwise. */
  async ping(): Promise<void> {
    const op = `ping for queue ${this.queueName}`;
    const work = this.producerConnection.ping().then(
      () => undefined,
      (err: unknown) => {
        throw this.unavailable(op, asError(err).message, err);
      },
    );
    await withDeadline(work, this.options.enqueueTimeoutMs, () =>
      this.unavailable(op, `no answer within ${this.options.enqueueTimeoutMs} ms`),
    );
  }

  /** Stops taking jobs, waits (up to `closeTimeoutMs`) for running ones, and closes the connections. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= this.shutdown(false);
    return this.closing;
  }

  /**
   * Stops at once without waiting for the running job: its lock is left to expire, and another worker runs the
   * job again after the stalled interval (what happens when a daemon is killed). For a shutdown deadline.
   */
  abort(): Promise<void> {
    this.closing ??= this.shutdown(true);
    return this.closing;
  }

  private async shutdown(force: boolean): Promise<void> {
    const bounded = async (what: string, closing: Promise<void>): Promise<void> => {
      const timeoutMs = this.options.closeTimeoutMs;
      const problem =
        `${what} of queue ${this.queueName} did not close within ${timeoutMs} ms; cutting its connections` +
        (what === 'worker' ? ' (a running job is run again by another worker once its lock expires)' : '');
      await withDeadline(closing, timeoutMs, () => new WarmpoolError('E_QUEUE_CLOSE_TIMEOUT', problem)).catch(
        (err: unknown) => this.events.emit({ type: 'error', error: asError(err) }),
      );
    };
    try {
      if (this.worker) await bounded('worker', this.worker.close(force));
      await bounded('producer', this.queue.close());
    } finally {
      this.workerConnection?.disconnect();
      this.producerConnection.disconnect();
    }
  }

  private async add(job: ScaleJob): Promise<EnqueueResult> {
    // BullMQ runs a delayed job at timestamp + delay by the workers' wall clock: with timestamp = now that is
    // exactly runAtMs (ties keep enqueue order). Time injection stops at Redis; the simulator uses the in-process queue.
    const now = Date.now();
    const enqueueToken = randomUUID();
    const jobId = bullJobIdFor(job.id);
    await this.queue.add(
      JOB_NAME,
      { v: 1, job, enqueueToken },
      {
        jobId,
        timestamp: now,
        delay: Math.max(0, job.runAtMs - now),
        attempts: this.backoff.attempts,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: { age: this.retentionS },
        removeOnFail: { age: this.retentionS },
      },
    );
    // BullMQ returns the id either way; the stored token tells whether this call created the job.
    const stored = await this.queue.getJob(jobId);
    const deduplicated = stored !== undefined && stored.data?.enqueueToken !== enqueueToken;
    return { id: job.id, deduplicated };
  }

  private async runJob(
    bullJob: Job<StoredScaleJob>,
    handler: (job: ScaleJob) => Promise<void>,
    token: string | undefined,
  ): Promise<void> {
    const job = this.decode(bullJob);
    if (job instanceof ScaleJobFormatError) throw new UnrecoverableError(job.message);
    try {
      await handler(job);
    } catch (err) {
      if (isJobDeferred(err)) {
        // Back to the delayed set without using an attempt: the leader's worker runs it.
        await bullJob.moveToDelayed(Date.now() + (err as { retryInMs: number }).retryInMs, token);
        throw new DelayedError();
      }
      if (isRetryable(err)) throw err;
      // BullMQ fails an UnrecoverableError at once; the handler's own error is kept as its cause for the event.
      throw Object.assign(new UnrecoverableError(asError(err).message), { cause: err });
    }
  }

  private onFailed(bullJob: Job<StoredScaleJob> | undefined, err: Error): void {
    const jobId = this.scaleJobIdOf(bullJob?.id ?? '');
    const decoded = bullJob ? this.decode(bullJob) : undefined;
    const job = decoded instanceof ScaleJobFormatError ? undefined : decoded;
    const unwrapped = err instanceof UnrecoverableError && err.cause !== undefined ? err.cause : err;
    const error = decoded instanceof ScaleJobFormatError ? decoded : asError(unwrapped);
    const attempt = bullJob?.attemptsMade ?? 0;
    const final = !job || !bullJob || typeof bullJob.finishedOn === 'number' || err instanceof UnrecoverableError;
    if (final) this.events.emit({ type: 'failed', job, jobId, attempt, error });
    else
      this.events.emit({ type: 'retrying', job, attempt, error, retryInMs: this.takeRetryDelay(bullJob.id, attempt) });
  }

  /** BullMQ's backoff strategy: the jittered delay, kept until the `failed` event reports it. */
  private retryDelayFor(bullJobId: string | undefined, attemptsMade: number): number {
    const delayMs = this.backoff.retryDelayMs(attemptsMade);
    if (this.retryDelays.size >= MAX_PENDING_RETRY_DELAYS)
      this.retryDelays.delete(this.retryDelays.keys().next().value!);
    this.retryDelays.set(`${bullJobId}:${attemptsMade}`, delayMs);
    return delayMs;
  }

  /** The delay BullMQ was given for this failure (a fresh draw if it was not this worker's). */
  private takeRetryDelay(bullJobId: string | undefined, attemptsMade: number): number {
    const key = `${bullJobId}:${attemptsMade}`;
    const delayMs = this.retryDelays.get(key);
    this.retryDelays.delete(key);
    return delayMs ?? this.backoff.retryDelayMs(attemptsMade);
  }

  private decode(bullJob: Job<StoredScaleJob>): ScaleJob | ScaleJobFormatError {
    const id = this.scaleJobIdOf(bullJob.id ?? '');
    const data: unknown = bullJob.data;
    const stored = data !== null && typeof data === 'object' ? (data as Partial<StoredScaleJob>) : undefined;
    if (stored?.v !== 1)
      return new ScaleJobFormatError(this.queueName, id, 'data is not a warmpool scale job (expected { v: 1, job })');
    const { job, issues } = readScaleJob(stored.job);
    if (issues.length > 0)
      return new ScaleJobFormatError(this.queueName, id, new ValidationError(issues, 'stored scale job').message);
    return job;
  }

  private scaleJobIdOf(bullJobId: string): string {
    if (!bullJobId.startsWith('scale.')) return bullJobId;
    try {
      return decodeURIComponent(bullJobId.slice('scale.'.length));
    } catch {
      return bullJobId;
    }
  }

  private reportError(role: 'producer' | 'worker', error: unknown): void {
    const err = asError(error);
    this.events.emit({
      type: 'error',
      error: isConnectionError(err)
        ? this.unavailable(`${role} connection of queue ${this.queueName}`, err.message, err)
        : err,
    });
  }

  private unavailable(operation: string, detail: string, cause?: unknown): RedisUnavailableError {
    return new RedisUnavailableError(this.redisUrl, operation, detail, cause === undefined ? undefined : { cause });
  }
}
