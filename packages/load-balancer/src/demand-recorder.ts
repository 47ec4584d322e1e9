import { LatencyHistogram, type PrometheusText } from '@warmpool/telemetry';

/** Requests per second for one model over the last `windowS` seconds. */
export interface DemandSeries {
  readonly model: string;
  /** Epoch ms of the start of the first (oldest) one-second bucket. */
  readonly startMs: number;
  readonly bucketS: 1;
  /** Oldest first; the last bucket is the current (partial) second. */
  readonly counts: number[];
  readonly total: number;
}

class ModelDemand {
  readonly counts: number[];
  readonly seconds: number[];
  total = 0;
  readonly byCode = new Map<number, number>();
  readonly latency = new LatencyHistogram();

  constructor(size: number) {
    this.counts = new Array<number>(size).fill(0);
    this.seconds = new Array<number>(size).fill(-1);
  }
}

/** Per-model request counts per second (a ring of `retainS` seconds), by status, and latency. */
export class DemandRecorder {
  private readonly models = new Map<string, ModelDemand>();

  constructor(readonly retainS = 600) {}

  /** A request for `model` arrived at `nowMs` (epoch ms). */
  record(model: string, nowMs: number): void {
    const d = this.model(model);
    const sec = Math.floor(nowMs / 1000);
    const slot = sec % this.retainS;
    if (d.seconds[slot] !== sec) {
      d.seconds[slot] = sec;
      d.counts[slot] = 0;
    }
    d.counts[slot]! += 1;
    d.total += 1;
  }

  /** A request for `model` finished with HTTP `code` after `seconds`. */
  finish(model: string, code: number, seconds: number): void {
    const d = this.model(model);
    d.byCode.set(code, (d.byCode.get(code) ?? 0) + 1);
    d.latency.observe(seconds);
  }

  series(model: string, nowMs: number, windowS: number): DemandSeries {
    const n = Math.max(1, Math.min(this.retainS, Math.floor(windowS)));
    const nowSec = Math.floor(nowMs / 1000);
    const d = this.models.get(model);
    const counts: number[] = [];
    for (let sec = nowSec - n + 1; sec <= nowSec; sec++) {
      const slot = ((sec % this.retainS) + this.retainS) % this.retainS;
      counts.push(d && d.seconds[slot] === sec ? d.counts[slot]! : 0);
    }
    return { model, startMs: (nowSec - n + 1) * 1000, bucketS: 1, counts, total: d?.total ?? 0 };
  }

  modelNames(): string[] {
    return [...this.models.keys()];
  }

  write(out: PrometheusText): void {
    out.family('warmpool_lb_requests_total', 'counter', 'Requests for a model that reached the load balancer, by HTTP status returned.');
    for (const [model, d] of this.models) for (const [code, n] of d.byCode) out.sample('warmpool_lb_requests_total', { model, code: String(code) }, n);
    out.family('warmpool_lb_request_duration_seconds', 'histogram', 'End-to-end latency through the load balancer.');
    for (const [model, d] of this.models) d.latency.write(out, 'warmpool_lb_request_duration_seconds', { model });
  }

  private model(name: string): ModelDemand {
    let d = this.models.get(name);
    if (!d) this.models.set(name, (d = new ModelDemand(this.retainS)));
    return d;
  }
}
