export { type TimerClock, type TimerHandle, systemClock } from './timer-clock.js';
export type {
  ScaleJobEvent,
  ScaleJobEventType,
  ScaleJobListener,
  ObservableScaleQueue,
  RetryOptions,
} from './scale-job-event.js';
