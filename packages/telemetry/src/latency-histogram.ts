import type { Labels, PrometheusText } from './prometheus-text.js';

/** Default buckets in seconds: 1 ms .. 10 s. */
export const DEFAULT_LATENCY_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** A cumulative Prometheus histogram of latencies in seconds. */
export class LatencyHistogram {
  private readonly counts: number[];
  private sumS = 0;
  private total = 0;

  constructor(readonly bucketsS: readonly number[] = DEFAULT_LATENCY_BUCKETS_S) {
    this.counts = new Array<number>(bucketsS.length).fill(0);
  }

  observe(seconds: number): void {
    this.total += 1;
    this.sumS += seconds;
    for (let i = 0; i < this.bucketsS.length; i++) if (seconds <= this.bucketsS[i]!) this.counts[i]! += 1;
  }

  get count(): number {
    return this.total;
  }

  write(out: PrometheusText, name: string, labels: Labels): void {
    this.bucketsS.forEach((le, i) => out.sample(`${name}_bucket`, { ...labels, le: String(le) }, this.counts[i]!));
    out.sample(`${name}_bucket`, { ...labels, le: '+Inf' }, this.total);
    out.sample(`${name}_sum`, labels, this.sumS);
    out.sample(`${name}_count`, labels, this.total);
  }
}
