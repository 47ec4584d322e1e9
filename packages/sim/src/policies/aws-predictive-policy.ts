import { replicasFor } from '../engine/serving.js';
import { AwsHourlyForecast } from './aws-hourly-forecast.js';
import { AwsTargetTracking } from './aws-target-tracking.js';
import type { SimPolicy, SimPolicyFactory, SimView } from './sim-policy.js';

/** SchedulingBufferTime default (300 s); it must stay under the 3600 s forecast interval. */
export const AWS_SCHEDULING_BUFFER_S = 300;

/**
 * `aws-predictive`: EC2 Auto Scaling predictive scaling in forecast-and-scale mode, combined with a target
 * tracking policy, as documented. Each hour's capacity = forecast load / (capacity x targetUtil), with the load
 * forecast from the same hour of previous days/weeks ({@link AwsHourlyForecast}; none with < 24 h of history).
 * The hour's capacity becomes the group's minimum at hour start - SchedulingBufferTime (the default 300 s, or the
 * lead time where that is longer, as a user would set it so the capacity is ready at the hour). Predictive scaling
 * only raises capacity; lowering the minimum leaves the capacity to target tracking's gradual scale-in
 * ({@link AwsTargetTracking}). Desired = max(scheduled minimum, target tracking). O(1) amortized per second.
 */
export const awsPredictivePolicy: SimPolicyFactory = (config): SimPolicy => {
  const forecast = new AwsHourlyForecast();
  const tracking = new AwsTargetTracking(config.capacityPerS, config.targetUtil);
  const bufferS = Math.min(3599, Math.max(AWS_SCHEDULING_BUFFER_S, Math.ceil(config.leadS)));
  const perReplicaPerS = config.capacityPerS * config.targetUtil;
  let scheduledMin = 0;
  let capacity: number | null = null;
  let lastReady = 0;
  let seen = 0; // seconds fed to the history so far

  return {
    name: 'aws-predictive',
    desired(view: SimView): number {
      capacity ??= view.ready + view.warming;
      // Feed the seconds observed since the last call (one per call in the engine).
      while (seen < view.now) {
        const requests = view.observed.at(seen);
        seen++;
        forecast.addSecond(requests, seen);
        tracking.addSecond(requests, lastReady, seen);
      }
      lastReady = view.ready;
      if ((view.now + bufferS) % 3600 === 0) {
        const hour = (view.now + bufferS) / 3600;
        const perS = forecast.forecastPerS(hour);
        scheduledMin = perS === null ? 0 : replicasFor(perS, perReplicaPerS);
      }
      capacity = Math.max(capacity, scheduledMin);
      if (view.now % 60 === 0) capacity = tracking.evaluate(view.now, capacity, scheduledMin);
      capacity = Math.min(config.maxReplicas, Math.max(config.minReplicas, capacity));
      return capacity;
    },
  };
};
