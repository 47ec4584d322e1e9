import { describe, expect, it } from 'vitest';
import type { ForecastBand } from '@warmpool/domain';
import { windowDemand } from '../src/index.js';

// Steps of 10 s from t = 100: medians 10, 14, 8; uppers 14, 15, 9; busiest-second uppers 20, 16, 10.
const band: ForecastBand = {
  startS: 100,
  stepS: 10,
  p50PerS: [10, 14, 8],
  upperPerS: [14, 15, 9],
  peakUpperPerS: [20, 16, 10],
  quantile: 0.93,
  method: 'test',
  historySteps: 50,
};

describe('windowDemand', () => {
  it('takes the highest of each band over the steps overlapping the window', () => {
    expect(windowDemand(band, 100, 120)).toEqual({ p50PerS: 14, upperPerS: 15, peakUpperPerS: 20, covered: true });
    expect(windowDemand(band, 125, 130)).toEqual({ p50PerS: 8, upperPerS: 9, peakUpperPerS: 10, covered: true });
    expect(windowDemand(band, 125, 140).covered).toBe(false);
  });

  it("widens each step above its own median, not the window's maximum", () => {
    // Step 1: 10 + 2 x 4 = 18, 10 + 2 x 10 = 30; step 2: 14 + 2 x 1 = 16, 14 + 2 x 2 = 18. (The window's maximum widened
    // would say 14 + 2 x 6 = 26 for the peak.)
    expect(windowDemand(band, 100, 120, undefined, 2)).toEqual({
      p50PerS: 14,
      upperPerS: 18,
      peakUpperPerS: 30,
      covered: true,
    });
    expect(windowDemand(band, 100, 130, undefined, 1)).toEqual(windowDemand(band, 100, 130));
  });

  it('uses the observed peak for the step in progress (nowcast), and never widens it', () => {
    // At t = 105 the first step is in progress at 11/s observed; the second is forecast.
    const nowcast = { nowS: 105, peakPerS: 11 };
    expect(windowDemand(band, 105, 110, nowcast, 3)).toEqual({
      p50PerS: 11,
      upperPerS: 11,
      peakUpperPerS: 11,
      covered: true,
    });
    // Step 2 widened: 14 + 3 x 1 = 17, 14 + 3 x 2 = 20.
    expect(windowDemand(band, 105, 120, nowcast, 3)).toEqual({
      p50PerS: 14,
      upperPerS: 17,
      peakUpperPerS: 20,
      covered: true,
    });
  });
});
