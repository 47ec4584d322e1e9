import type { DemandFeed, DemandPoll } from './demand-feed.js';

/** No live demand source (no history configured and not the local world): the planner holds and says why. */
export class NoDemandFeed implements DemandFeed {
  readonly name = 'none';
  startAt(): void {}
  async poll(): Promise<DemandPoll> {
    return {
      steps: [],
      demandPerS: Number.NaN,
      peakPerS: Number.NaN,
      note: 'DemandMissing: no history source and no live demand source configured',
    };
  }
}
