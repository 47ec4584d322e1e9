/** Which requests a fault applies to; every given field must match. */
export interface RequestMatch {
  readonly method?: string;
  /** Substring of the request path (without the query), e.g. `/scale` or `/leases/`. */
  readonly pathIncludes?: string;
}

export interface FailFault {
  readonly kind: 'fail';
  readonly status: number;
  readonly message?: string;
  /** Sent as the Retry-After header and in `details.retryAfterSeconds` (429 and 503). */
  readonly retryAfterS?: number;
}

export interface DelayFault {
  readonly kind: 'delay';
  /** Holds the request this long before handling it; a client timeout shorter than this sees no answer. */
  readonly delayMs: number;
  /**
   * Handle the request at once and hold only the answer: the write is applied even when the
   * client times out (the "did my request go through?" case). Default false: a request whose
   * client gave up is dropped unapplied.
   */
  readonly applyFirst?: boolean;
}

export type Fault = FailFault | DelayFault;

interface Armed {
  remaining: number;
  readonly fault: Fault;
  readonly match: RequestMatch;
}

function matches(match: RequestMatch, method: string, path: string): boolean {
  if (match.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match.pathIncludes && !path.includes(match.pathIncludes)) return false;
  return true;
}

/** Faults armed by a test, consumed by the next matching requests in arrival order. */
export class FaultInjector {
  private readonly armed: Armed[] = [];

  /** The next `count` matching requests fail with `status` and a proper Status body. */
  failNext(
    count: number,
    status: number,
    options: { match?: RequestMatch; message?: string; retryAfterS?: number } = {},
  ): void {
    this.armed.push({
      remaining: count,
      fault: { kind: 'fail', status, message: options.message, retryAfterS: options.retryAfterS },
      match: options.match ?? {},
    });
  }

  /** The next `count` matching requests are held `delayMs` before they are handled (or, with applyFirst, answered). */
  delayNext(count: number, delayMs: number, options: { match?: RequestMatch; applyFirst?: boolean } = {}): void {
    this.armed.push({
      remaining: count,
      fault: { kind: 'delay', delayMs, applyFirst: options.applyFirst === true },
      match: options.match ?? {},
    });
  }

  clear(): void {
    this.armed.length = 0;
  }

  /** Faults still armed (requests not yet consumed). */
  pending(): number {
    return this.armed.reduce((n, a) => n + a.remaining, 0);
  }

  /** Takes the first armed fault matching this request, if any. */
  take(method: string, path: string): Fault | undefined {
    const idx = this.armed.findIndex((a) => a.remaining > 0 && matches(a.match, method, path));
    if (idx < 0) return undefined;
    const armed = this.armed[idx]!;
    armed.remaining--;
    if (armed.remaining <= 0) this.armed.splice(idx, 1);
    return armed.fault;
  }
}
