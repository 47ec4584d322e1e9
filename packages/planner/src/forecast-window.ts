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
 * How the step right after the one in progress is forecast once part of the step in progress is observed:
 * `off` as the band says (made from completed steps only, so two steps ahead); `max` also re-anchored on the observed
 * level (the band's median change from the step in progress, plus its one-step-ahead spread), taking the higher;
 * `replace` re-anchored only.
 */
export type NowcastAnchor = 'off' | 'max' | 'replace';

export const NOWCAST_ANCHORS: readonly NowcastAnchor[] = ['off', 'max', 'replace'];

/** The live observation of the step in progress. */
export interface Nowcast {
  readonly nowS: number;
  /** Busiest second expected in the step in progress (the observed peak, extended by a sustained rise). */
  readonly peakPerS: number;
  /** Mean level observed in the step in progress (req/s); needed by a `NowcastAnchor` other than `off`. */
  readonly levelPerS?: number;
}

/**
 * Max of each band over the steps that overlap [fromS, toS). Steps before the band's start are not covered.
 * `nowcast`: for the step in progress at `nowcast.nowS` (already partly observed), use the observed one-second
 * peak instead of the band: for coarse steps (10-min, 1-h history) the current level is known from live demand,
 * and only steps not yet begun are uncertain.
 * `widening`: each step's upper and peak-upper are taken this many times as far above its median (1: as forecast);
 * the observed step of the nowcast is not widened.
 * `anchor`: see `NowcastAnchor`; applies to the step right after the nowcast's only (steps longer than the window's
 * distance from now, e.g. 60-s steps with a 45-s lead), where the band is a step staler than what is observed.
 */
export function windowDemand(
  band: ForecastBand,
  fromS: number,
  toS: number,
  nowcast?: Nowcast,
  widening = 1,
  anchor: NowcastAnchor = 'off',
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
  // The step in progress, and how far its observed level is above its median (NaN: no re-anchoring).
  const inProgress = nowcast ? Math.floor((nowcast.nowS - band.startS) / band.stepS) : -1;
  const level = nowcast?.levelPerS;
  const shift =
    anchor !== 'off' && level !== undefined && Number.isFinite(level) && inProgress >= 0 && inProgress < n - 1
      ? level - band.p50PerS[inProgress]!
      : Number.NaN;
  for (let i = first; i <= last; i++) {
    if (nowcast && band.startS + i * band.stepS <= nowcast.nowS) {
      if (nowcast.peakPerS > p50) p50 = nowcast.peakPerS;
      if (nowcast.peakPerS > upper) upper = nowcast.peakPerS;
      if (nowcast.peakPerS > peak) peak = nowcast.peakPerS;
      continue;
    }
    let mid = band.p50PerS[i]!;
    let u = mid + (band.upperPerS[i]! - mid) * widening;
    let pk = mid + (band.peakUpperPerS[i]! - mid) * widening;
    if (i === inProgress + 1 && Number.isFinite(shift)) {
      // One step ahead of what is observed: the band's change from the step in progress, its one-step spread.
      const m0 = band.p50PerS[0]!;
      const am = Math.max(0, mid + shift);
      const au = am + (band.upperPerS[0]! - m0) * widening;
      const ap = am + (band.peakUpperPerS[0]! - m0) * widening;
      if (anchor === 'replace') {
        mid = am;
        u = au;
        pk = ap;
      } else {
        mid = Math.max(mid, am);
        u = Math.max(u, au);
        pk = Math.max(pk, ap);
      }
    }
    if (mid > p50) p50 = mid;
    if (u > upper) upper = u;
    if (pk > peak) peak = pk;
  }
  return { p50PerS: p50, upperPerS: upper, peakUpperPerS: Math.max(peak, upper), covered: covered && first <= last };
}
