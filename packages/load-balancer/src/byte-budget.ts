/**
 * Bytes the load balancer holds in memory at once (request bodies buffered for a retry elsewhere), shared by every
 * request in flight: `tryTake` refuses past the cap instead of growing, and the caller answers 503 with Retry-After.
 */
export class ByteBudget {
  private usedNow = 0;
  private peak = 0;

  constructor(readonly capBytes: number) {}

  get usedBytes(): number {
    return this.usedNow;
  }

  get peakBytes(): number {
    return this.peak;
  }

  /** Takes `n` bytes if they fit under the cap; false (and nothing taken) otherwise. */
  tryTake(n: number): boolean {
    if (this.usedNow + n > this.capBytes) return false;
    this.usedNow += n;
    if (this.usedNow > this.peak) this.peak = this.usedNow;
    return true;
  }

  give(n: number): void {
    this.usedNow = Math.max(0, this.usedNow - n);
  }
}
