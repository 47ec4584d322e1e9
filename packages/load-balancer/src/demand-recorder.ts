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

  constructor(size: number) {
    this.counts = new Array<number>(size).fill(0);
    this.seconds = new Array<number>(size).fill(-1);
  }
}

/**
 * Per-model request counts per second (a ring of `retainS` seconds). Holds at most `maxModels` models: the load
 * balancer records only models it serves, and a model past the bound is not recorded (`record` returns false).
 */
export class DemandRecorder {
  private readonly models = new Map<string, ModelDemand>();

  constructor(
    readonly retainS = 600,
    readonly maxModels = 256,
  ) {}

  /** A request for `model` arrived at `nowMs` (epoch ms); false when the model is new and the recorder is full. */
  record(model: string, nowMs: number): boolean {
    let d = this.models.get(model);
    if (!d) {
      if (this.models.size >= this.maxModels) return false;
      d = new ModelDemand(this.retainS);
      this.models.set(model, d);
    }
    const sec = Math.floor(nowMs / 1000);
    const slot = sec % this.retainS;
    if (d.seconds[slot] !== sec) {
      d.seconds[slot] = sec;
      d.counts[slot] = 0;
    }
    d.counts[slot]! += 1;
    d.total += 1;
    return true;
  }

  /** The last `windowS` seconds of `model` (zeros for a model never recorded; nothing is created). */
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
}
