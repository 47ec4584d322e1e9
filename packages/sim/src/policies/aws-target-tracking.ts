/** EC2 Auto Scaling target tracking as AWS configures it (alarms it creates and manages). */
export interface AwsTargetTrackingSettings {
  /** Metric period (1-minute metrics). */
  readonly periodS: number;
  /** Datapoints over the target that fire the scale-out alarm (3 of 3). */
  readonly scaleOutDatapoints: number;
  /** Datapoints under the scale-in threshold that fire the scale-in alarm (15 of 15). */
  readonly scaleInDatapoints: number;
  /** Scale-in alarm threshold as a fraction of the target (AWS: about 10 % under it). */
  readonly scaleInThreshold: number;
  /** Fraction of capacity removed per scale-in (at least one replica): target tracking scales in gradually. */
  readonly scaleInStepFraction: number;
  /** Seconds between scale-ins (scale-in cooldown, 300 s). */
  readonly scaleInCooldownS: number;
}

export const AWS_TARGET_TRACKING_DEFAULTS: AwsTargetTrackingSettings = {
  periodS: 60,
  scaleOutDatapoints: 3,
  scaleInDatapoints: 15,
  scaleInThreshold: 0.9,
  scaleInStepFraction: 0.1,
  scaleInCooldownS: 300,
};

/** One metric datapoint: utilization of in-service (ready) replicas and the load behind it. */
interface Datapoint {
  readonly utilization: number;
  readonly loadPerS: number;
}

/**
 * Target tracking on utilization = load / (in-service replicas x capacity) per 1-minute datapoint. Replicas
 * still in warm-up (instance warmup = lead time) are not in service, so they do not count in the metric, but they
 * do count as capacity already added: scale-out sets capacity to max(capacity, ceil(load / (capacity x target))),
 * proportional like AWS and never adding twice for the same load. Scale-in needs 15 datapoints under 90 % of the
 * target, removes a small step (10 %, at least one) but never below what keeps the metric under the target, and
 * waits a cooldown between steps.
 */
export class AwsTargetTracking {
  private readonly recent: (Datapoint | null)[] = [];
  private minuteLoad = 0;
  private minuteReady = 0;
  private lastScaleInS = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly capacityPerS: number,
    private readonly targetUtil: number,
    private readonly settings: AwsTargetTrackingSettings = AWS_TARGET_TRACKING_DEFAULTS,
  ) {}

  /** Adds one observed second: its requests and the replicas in service then. */
  addSecond(requests: number, readyReplicas: number, secondsObserved: number): void {
    this.minuteLoad += requests;
    this.minuteReady += readyReplicas;
    const p = this.settings.periodS;
    if (secondsObserved % p !== 0) return;
    const loadPerS = this.minuteLoad / p;
    const readyMean = this.minuteReady / p;
    this.recent.push(readyMean > 0 ? { utilization: loadPerS / (readyMean * this.capacityPerS), loadPerS } : null);
    const keep = Math.max(this.settings.scaleOutDatapoints, this.settings.scaleInDatapoints);
    if (this.recent.length > keep) this.recent.shift();
    this.minuteLoad = 0;
    this.minuteReady = 0;
  }

  /** The capacity target tracking wants at `now`, given the group's capacity and its floor (the scheduled minimum). */
  evaluate(now: number, capacity: number, floor: number): number {
    const s = this.settings;
    const last = this.recent[this.recent.length - 1];
    if (!last) return capacity;
    const needed = Math.ceil(last.loadPerS / (this.capacityPerS * this.targetUtil) - 1e-9);
    if (this.allOver(s.scaleOutDatapoints, (u) => u > this.targetUtil)) return Math.max(capacity, needed);
    if (
      now - this.lastScaleInS >= s.scaleInCooldownS &&
      this.allOver(s.scaleInDatapoints, (u) => u < this.targetUtil * s.scaleInThreshold)
    ) {
      const step = Math.max(1, Math.floor(capacity * s.scaleInStepFraction));
      const next = Math.max(needed, capacity - step, floor);
      if (next < capacity) {
        this.lastScaleInS = now;
        return next;
      }
    }
    return capacity;
  }

  private allOver(count: number, test: (u: number) => boolean): boolean {
    if (this.recent.length < count) return false;
    for (let i = this.recent.length - count; i < this.recent.length; i++) {
      const d = this.recent[i];
      if (!d || !test(d.utilization)) return false;
    }
    return true;
  }
}
