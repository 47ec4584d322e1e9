/**
 * Tunes a model's band quantile online from its own SLA pressure, so a bursty model provisions for more of its tail
 * and a smooth one keeps the configured quantile.
 *
 * The signal is the SLA capacity the model had: `capacityPerReplicaPerS` is the rate at which one warm replica's
 * p95 reaches the latency target, so a tick whose busiest second reached `riskUtilization` of the ready replicas'
 * capacity is one where the SLA was at risk (at 100 % the second's p95 is at the target). Each tick the quantile
 * moves by `rate * (risk - budget)` (an adaptive-conformal update on the outcome instead of on the forecast error):
 * risk ticks more often than `budget` raise it, fewer let it fall back, never below the spec's `upperQuantile` and
 * never above its `upperQuantileMax`.
 */
export interface QuantileTuningOptions {
  /** A tick is at risk when its busiest second reached this fraction of the ready SLA capacity. */
  readonly riskUtilization: number;
  /** Share of ticks at risk the tuning tolerates before it raises the quantile. */
  readonly budget: number;
  /** Step of the update per tick. */
  readonly rate: number;
}

export const DEFAULT_QUANTILE_TUNING: QuantileTuningOptions = { riskUtilization: 0.9, budget: 0.02, rate: 0.005 };

export class QuantileTuner {
  private q: number;
  private readonly lo: number;
  private readonly hi: number;
  /** Ticks observed and ticks at risk (diagnostics). */
  private ticks = 0;
  private risky = 0;

  constructor(
    floor: number,
    ceiling: number,
    private readonly o: QuantileTuningOptions,
  ) {
    this.lo = floor;
    this.hi = Math.max(floor, ceiling);
    this.q = floor;
  }

  get quantile(): number {
    return this.q;
  }

  /** Fraction of the ready SLA capacity that puts a tick at risk. */
  get riskUtilization(): number {
    return this.o.riskUtilization;
  }

  /** Share of observed ticks that were at risk. */
  get riskShare(): number {
    return this.ticks > 0 ? this.risky / this.ticks : 0;
  }

  /**
   * One tick's outcome: the busiest second and the SLA capacity ready during it. Unknown demand (NaN) teaches nothing.
   * Returns the quantile after the update.
   */
  observe(peakPerS: number, readyCapacityPerS: number): number {
    if (!Number.isFinite(peakPerS) || peakPerS < 0) return this.q;
    const risk = peakPerS > 0 && peakPerS >= this.o.riskUtilization * readyCapacityPerS ? 1 : 0;
    this.ticks++;
    this.risky += risk;
    const next = this.q + this.o.rate * (risk - this.o.budget);
    this.q = Math.min(Math.max(next, this.lo), this.hi);
    return this.q;
  }
}
