/**
 * The latency-SLO queueing model: one FIFO queue per model in front of the ready replicas, requests arriving evenly
 * through each second and served at the ready capacity (a fluid queue: replicas drain a burst in order, as a serving
 * stack's queue and batcher do). A request violates only when its wait plus the service time exceeds the latency
 * target, i.e. when the queue ahead of it on arrival is more than (target - service) seconds of the ready capacity.
 * A burst the replicas drain within the target is not a miss; requests that wait too long are still served (late).
 */
export class LatencyQueue {
  /** Requests waiting at the start of the next second. */
  backlog = 0;
  /** Requests that waited longer than the target allows (wait + service > latency target). */
  violating = 0;
  private readonly waitS: number;

  /** @param waitS longest wait that still meets the target: latency target - service time, seconds (>= 0). */
  constructor(waitS: number) {
    this.waitS = Math.max(0, waitS);
  }

  /** Serves one second: `arriving` requests spread over it, `capacity` requests/s ready. Returns this second's late requests. */
  second(arriving: number, capacity: number): number {
    const b = this.backlog;
    // biome-ignore lint/complexity/useMathMinMax: NaN must count as 0 arriving; Math.max would return NaN
    const a = arriving > 0 ? arriving : 0;
    // biome-ignore lint/complexity/useMathMinMax: NaN must count as 0 capacity; Math.max would return NaN
    const c = capacity > 0 ? capacity : 0;
    const allowed = this.waitS * c; // queue length (requests) a newcomer may find and still meet the target
    let late = 0;
    if (a > 0) {
      if (c <= 0) late = a;
      else if (a >= c) {
        // Queue grows from b at rate a - c: late from the moment it passes `allowed`.
        if (b > allowed) late = a;
        else if (a > c) late = a * Math.max(0, 1 - (allowed - b) / (a - c));
      } else if (b > allowed) {
        // Queue shrinks from b at rate c - a: late until it falls to `allowed`.
        late = a * Math.min(1, (b - allowed) / (c - a));
      }
    }
    const next = b + a - c;
    this.backlog = next > 1e-9 * Math.max(1, a) ? next : 0;
    this.violating += late;
    return late;
  }

  /** Ends the run: requests still queued were not served before the trace ended and count as late. */
  finish(): number {
    this.violating += this.backlog;
    this.backlog = 0;
    return this.violating;
  }
}
