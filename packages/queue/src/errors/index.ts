export { QueueClosedError } from './queue-closed-error.js';
export { RedisUnavailableError } from './redis-unavailable-error.js';
export { ScaleJobFormatError } from './scale-job-format-error.js';
export { DecisionStreamFormatError } from './decision-stream-format-error.js';
export { JobDeferredError, isJobDeferred } from './job-deferred-error.js';
export { FencedOffError } from './fenced-off-error.js';
