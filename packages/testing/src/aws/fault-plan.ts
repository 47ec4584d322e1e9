/** What the fake does instead of (or before) answering a request. */
export type Fault =
  | { readonly kind: 'throttle' }
  | { readonly kind: 'server-error'; readonly statusCode: number; readonly code: string }
  | { readonly kind: 'delay'; readonly delayMs: number }
  /** HTTP 200 with a body that is not the expected XML. */
  | { readonly kind: 'malformed' };

interface PlannedFault {
  readonly fault: Fault;
  /** Undefined: any action. */
  readonly action: string | undefined;
  remaining: number;
}

/**
 * Faults queued for the next matching requests: throttle N times, answer 5xx N times, delay N
 * answers. Faults are used in the order they were added; each counts down on every request it hits.
 */
export class FaultPlan {
  private readonly planned: PlannedFault[] = [];

  add(fault: Fault, times: number, action?: string): void {
    if (!Number.isInteger(times) || times < 1)
      throw new RangeError(`fault times must be a positive integer, got ${times}`);
    this.planned.push({ fault, action, remaining: times });
  }

  /** The faults that hit this request (a delay may come with an error), consuming one use of each. */
  take(action: string): Fault[] {
    const hits: Fault[] = [];
    let errorTaken = false;
    for (const p of this.planned) {
      if (p.remaining <= 0 || (p.action !== undefined && p.action !== action)) continue;
      if (p.fault.kind !== 'delay') {
        if (errorTaken) continue;
        errorTaken = true;
      }
      p.remaining--;
      hits.push(p.fault);
    }
    for (let i = this.planned.length - 1; i >= 0; i--) if (this.planned[i]!.remaining <= 0) this.planned.splice(i, 1);
    return hits;
  }

  clear(): void {
    this.planned.length = 0;
  }

  get pending(): number {
    return this.planned.reduce((n, p) => n + p.remaining, 0);
  }
}
