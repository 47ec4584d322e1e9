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

describe('windowDemand: the step after the one in progress re-anchored on its observed level (NowcastAnchor)', () => {
  // At t = 105 step 0 is in progress; its median was 10/s. Re-anchored step 1: median 14 + (level - 10), upper and
  // peak-upper that plus step 0's spread (4 and 10), times the widening.
  const at = (levelPerS?: number) => ({ nowS: 105, peakPerS: levelPerS ?? 0, levelPerS });
  const cases = [
    { name: 'off: as the band says', level: 16, anchor: 'off', widening: 1, want: [14, 15, 16] },
    { name: 'max, level above its median (+6)', level: 16, anchor: 'max', widening: 1, want: [20, 24, 30] },
    { name: 'replace, level above its median', level: 16, anchor: 'replace', widening: 1, want: [20, 24, 30] },
    {
      name: 'max, level below its median (-6): the band where higher',
      level: 4,
      anchor: 'max',
      widening: 1,
      want: [14, 15, 18],
    },
    { name: 'replace, level below its median', level: 4, anchor: 'replace', widening: 1, want: [8, 12, 18] },
    { name: 'max, widened x2: spreads 8 and 20 over 20', level: 16, anchor: 'max', widening: 2, want: [20, 28, 40] },
    {
      name: 'max without an observed level: as the band says',
      level: undefined,
      anchor: 'max',
      widening: 1,
      want: [14, 15, 16],
    },
  ] as const;
  it.each(cases)('$name', ({ level, anchor, widening, want }) => {
    const w = windowDemand(band, 110, 120, at(level), widening, anchor);
    expect([w.p50PerS, w.upperPerS, w.peakUpperPerS]).toEqual(want);
    expect(w.covered).toBe(true);
  });

  it('leaves the steps after that one as the band says', () => {
    for (const anchor of ['off', 'max', 'replace'] as const)
      expect(windowDemand(band, 120, 130, at(16), 1, anchor)).toEqual(windowDemand(band, 120, 130));
  });

  it('does not re-anchor without a step in progress inside the band (before it starts, or at its last step)', () => {
    expect(windowDemand(band, 110, 120, { nowS: 95, peakPerS: 50, levelPerS: 50 }, 1, 'replace')).toEqual(
      windowDemand(band, 110, 120),
    );
    expect(windowDemand(band, 125, 130, { nowS: 125, peakPerS: 3, levelPerS: 3 }, 1, 'replace').p50PerS).toBe(3);
  });
});
