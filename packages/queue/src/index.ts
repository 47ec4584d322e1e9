export * from './errors/index.js';
export * from './interfaces/index.js';
export { BackoffPolicy, RETRY_DEFAULTS, isRetryable } from './backoff-policy.js';
export { ManualClock } from './manual-clock.js';
export { InProcessScaleQueue, type InProcessScaleQueueOptions } from './in-process-scale-queue.js';
export { BullMqScaleQueue, type BullMqScaleQueueOptions } from './bullmq-scale-queue.js';
export { readScaleJob, validateScaleJob, bullJobIdFor, type StoredScaleJob } from './scale-job-codec.js';
export {
  createRedisClient,
  redactRedisUrl,
  withDeadline,
  DEFAULT_REDIS_URL,
  type RedisClientOptions,
} from './redis-client-factory.js';
export { RedisLeaderLock, type RedisLeaderLockOptions, type LeaderEvent } from './redis-leader-lock.js';
export {
  RedisDecisionStream,
  type RedisDecisionStreamOptions,
  type DecisionStreamEntry,
  type DecisionStreamPage,
  type DecisionStreamReadOptions,
  type DecisionStreamFollowOptions,
} from './redis-decision-stream.js';
