import type { StepObservation } from '@warmpool/domain';
import { LiveStepAggregator } from '@warmpool/planner';
import type { DemandFeed, DemandPoll, PerSecondDemand } from './demand-feed.js';

/**
 * Live demand from per-second counts (the local load balancer's `/demand`): complete seconds not seen yet go through
 * the planner's LiveStepAggregator into forecast steps (the same aggregation the simulator uses); the last tick's
 * seconds give the observation. A missed poll is caught up from the source's window; seconds older than it are gaps.
 */
export class PerSecondDemandFeed implements DemandFeed {
  readonly name = 'per-second';
  private aggregator: LiveStepAggregator | undefined;
  private nextSecond = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly model: string,
    private readonly stepS: number,
    private readonly tickS: number,
    private readonly fetch: PerSecondDemand,
    private readonly windowS = 600,
  ) {}

  startAt(nextStepS: number): void {
    this.aggregator = new LiveStepAggregator(this.stepS, nextStepS);
    this.nextSecond = nextStepS;
  }

  async poll(nowS: number): Promise<DemandPoll> {
    const nowSecond = Math.floor(nowS);
    if (!this.aggregator) this.startAt(Math.floor(nowSecond / this.stepS) * this.stepS);
    const wantS = Math.min(this.windowS, Math.max(2, nowSecond - this.nextSecond + 1));
    const series = await this.fetch(this.model, wantS);
    const firstSecond = Math.floor(series.startMs / 1000);
    const steps: StepObservation[] = [];
    const recent: number[] = [];
    const seconds: number[] = [];
    let note: string | undefined;
    if (firstSecond > this.nextSecond)
      note = `DemandGap: seconds ${this.nextSecond}..${firstSecond - 1} not available from the source`;
    series.counts.forEach((count, i) => {
      const s = firstSecond + i;
      if (s >= nowSecond) return; // the current second is partial
      if (s >= nowSecond - Math.max(1, Math.round(this.tickS))) recent.push(count);
      if (s < this.nextSecond) return;
      this.aggregator!.addSecond(s, count, steps);
      seconds.push(count);
      this.nextSecond = s + 1;
    });
    const demandPerS = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : Number.NaN;
    const peakPerS = recent.length ? Math.max(...recent) : Number.NaN;
    return { steps, demandPerS, peakPerS, seconds, ...(note ? { note } : {}) };
  }
}
