/** Demand of past seconds, as a policy may read it. */
export interface PastDemand {
  /** The current second: only seconds before it can be read. */
  readonly now: number;
  /** Requests in second `s` (0 before the first second); throws for `s >= now`. */
  at(s: number): number;
}

/**
 * The past as a policy may see it: demand of seconds strictly before `now`. Reading the present or the future
 * throws, so a policy cannot cheat by accident (only the oracle is handed the future, explicitly).
 */
export class ObservedDemand implements PastDemand {
  now = 0;
  private readonly demand: Float64Array;

  constructor(demand: Float64Array) {
    this.demand = demand;
  }

  at(s: number): number {
    if (s >= this.now) throw new RangeError(`policy read demand of second ${s} at second ${this.now} (the future)`);
    return s < 0 ? 0 : this.demand[s]!;
  }
}
