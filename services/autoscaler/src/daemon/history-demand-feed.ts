import type { HistorySource, StepObservation } from '@warmpool/domain';
import type { DemandFeed, DemandPoll } from './demand-feed.js';

/**
 * Live demand from the history source itself (Prometheus, Redis counters, CSV): each poll reads the steps completed
 * since the last one; the newest step is the observation. Coarser than per-second counts (the observation lags by
 * up to one step) but works wherever history does.
 */
export class HistoryDemandFeed implements DemandFeed {
  readonly name: string;
  private nextStepS: number | undefined;
  private last: StepObservation | undefined;

  constructor(
    private readonly model: string,
    private readonly stepS: number,
    private readonly history: HistorySource,
  ) {
    this.name = `history ${history.name}`;
  }

  startAt(nextStepS: number): void {
    this.nextStepS = nextStepS;
  }

  async poll(nowS: number): Promise<DemandPoll> {
    const endS = Math.floor(nowS / this.stepS) * this.stepS;
    if (this.nextStepS === undefined) this.nextStepS = endS - this.stepS;
    let steps: StepObservation[] = [];
    if (this.nextStepS < endS) {
      steps = (await this.history.read(this.model, this.nextStepS, endS, this.stepS)).filter(
        (s) => s.startS >= this.nextStepS! && s.startS < endS,
      );
      steps.sort((a, b) => a.startS - b.startS);
      this.nextStepS = endS;
      if (steps.length > 0) this.last = steps[steps.length - 1];
    }
    const last = this.last;
    const fresh = last !== undefined && last.startS >= endS - 2 * this.stepS;
    if (!last || !fresh || !Number.isFinite(last.meanPerS)) {
      return {
        steps,
        demandPerS: Number.NaN,
        peakPerS: Number.NaN,
        note: `DemandMissing: no recent step from ${this.history.name}`,
      };
    }
    return {
      steps,
      demandPerS: last.meanPerS,
      peakPerS: Number.isFinite(last.peakPerS) ? last.peakPerS : last.meanPerS,
    };
  }
}
