import type { PastDemand } from '../engine/observed-demand.js';
import type { SimConfig, SimPolicy, SimPolicyFactory, SimView } from '../policies/sim-policy.js';

/** Per-second demand recorded live, readable as the past by a policy. */
class LiveDemand implements PastDemand {
  now = 0;
  private counts = new Float64Array(3600);

  record(count: number): void {
    if (this.now >= this.counts.length) {
      const grown = new Float64Array(this.counts.length * 2);
      grown.set(this.counts);
      this.counts = grown;
    }
    this.counts[this.now++] = count;
  }

  at(s: number): number {
    if (s >= this.now) throw new RangeError(`policy read demand of second ${s} at second ${this.now} (the future)`);
    return s < 0 ? 0 : this.counts[s]!;
  }
}

/**
 * Runs a simulator policy (hpa, kpa, aws-predictive, static, ...) against a live world, one wall-clock second at a
 * time: record what arrived in the second that just ended, then ask for the replicas wanted alive given the ready
 * and warming replicas the provider reports. The same policy code as in the simulator, so the end-to-end benchmark
 * compares exactly the baselines the simulator does. Warming replicas' ready times are estimated as
 * request time + `config.leadS` (only `readyBy` uses them). Not for the oracle, which needs the future.
 */
export class LivePolicyDriver {
  private readonly policy: SimPolicy;
  private readonly demand = new LiveDemand();
  private readonly config: SimConfig;
  private warmingReadyAtS: number[] = [];

  constructor(factory: SimPolicyFactory, config: SimConfig) {
    this.config = config;
    this.policy = factory(config, new Float64Array(0));
  }

  get name(): string {
    return this.policy.name;
  }

  /** Seconds recorded so far (= the current second). */
  get nowS(): number {
    return this.demand.now;
  }

  /** Requests that arrived in the second that just ended. */
  recordSecond(count: number): void {
    this.demand.record(Number.isFinite(count) && count > 0 ? count : 0);
  }

  /** Replicas the policy wants alive now, clamped to the configured bounds. */
  desired(ready: number, warming: number): number {
    const now = this.demand.now;
    while (this.warmingReadyAtS.length > warming) this.warmingReadyAtS.shift();
    while (this.warmingReadyAtS.length < warming) this.warmingReadyAtS.push(now + this.config.leadS);
    const readyAt = this.warmingReadyAtS;
    const view: SimView = {
      now,
      ready,
      warming,
      backlog: 0,
      observed: this.demand,
      readyBy: (t: number) => ready + readyAt.filter((r) => r <= t).length,
    };
    const want = Math.ceil(this.policy.desired(view));
    return Math.min(this.config.maxReplicas, Math.max(this.config.minReplicas, want));
  }
}
