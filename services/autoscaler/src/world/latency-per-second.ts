import { percentile } from '@warmpool/domain';
import type { RequestRecord } from '@warmpool/loadgen';

/**
 * Request latency p95 of each wall second (by the second each request completed in), handed to `emit` once the
 * second is over (a request completing in a later second closes it, or flush()). Holds one second's latencies.
 */
export class LatencyPerSecond {
  private second: number | undefined;
  private latencies: number[] = [];

  constructor(private readonly emit: (point: { atS: number; p95Ms: number; requests: number }) => void) {}

  add(r: RequestRecord): void {
    const s = Math.floor((r.sentAtMs + r.latencyMs) / 1000);
    if (this.second !== undefined && s > this.second) this.flush();
    if (this.second === undefined || s > this.second) this.second = s;
    this.latencies.push(r.latencyMs);
  }

  flush(): void {
    if (this.second !== undefined && this.latencies.length > 0) {
      const sorted = this.latencies.sort((a, b) => a - b);
      this.emit({ atS: this.second, p95Ms: Number(percentile(sorted, 0.95)!.toFixed(1)), requests: sorted.length });
    }
    this.latencies = [];
    this.second = undefined;
  }
}
