import type { ForecastBand } from '@warmpool/domain';

/** The band summarized over a time window: the highest median, upper and peak-upper of the steps overlapping it. */
export interface WindowDemand {
  readonly p50PerS: number;
  readonly upperPerS: number;
  readonly peakUpperPerS: number;
  /** False when the band does not reach the window (too short a forecast). */
  readonly covered: boolean;
}

/**
 * Max of each band over the steps that overlap [fromS, toS). Steps before the band's start are not covered.
 * `nowcast`: for the step in progress at `nowcast.nowS` (already partly observed), use the observed one-second
 * peak instead of the band: for coarse steps (10-min, 1-h history) the current level is known from live demand,
 * and only steps not yet begun are uncertain.
 * `widening`: each step's upper and peak-upper are taken this many times as far above its median (1: as forecast);
 * the observed step of the nowcast is not widened.
 */
export function windowDemand(
  band: ForecastBand,
  fromS: number,
  toS: number,
  nowcast?: { readonly nowS: number; readonly peakPerS: number },
  widening = 1,
): WindowDemand {
  const n = band.p50PerS.length;
  let first = Math.floor((fromS - band.startS) / band.stepS);
  let last = Math.ceil((toS - band.startS) / band.stepS) - 1;
  if (first < 0) first = 0;
  const covered = last < n && n > 0;
  if (last >= n) last = n - 1;
  let p50 = 0;
  let upper = 0;
  let peak = 0;
  for (let i = first; i <= last; i++) {
    if (nowcast && band.startS + i * band.stepS <= nowcast.nowS) {
      if (nowcast.peakPerS > p50) p50 = nowcast.peakPerS;
      if (nowcast.peakPerS > upper) upper = nowcast.peakPerS;
      if (nowcast.peakPerS > peak) peak = nowcast.peakPerS;
      continue;
    }
    const mid = band.p50PerS[i]!;
    const u = mid + (band.upperPerS[i]! - mid) * widening;
    const pk = mid + (band.peakUpperPerS[i]! - mid) * widening;
    if (mid > p50) p50 = mid;
    if (u > upper) upper = u;
    if (pk > peak) peak = pk;
  }
  return { p50PerS: p50, upperPerS: upper, peakUpperPerS: Math.max(peak, upper), covered: covered && first <= last };
}
