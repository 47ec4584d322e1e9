import { probit } from 'simple-statistics';
import { ReasonCode, leadTimeTotalS, type Decision, type ForecastBand, type ModelSpec } from '@warmpool/domain';
import { windowDemand, type NowcastAnchor } from './forecast-window.js';
import type { Observation } from './observation.js';
import type { PlannerState, Recommendation } from './planner-state.js';
import { explain, type QuantileRaise } from './explain.js';
import { MIN_BURSTS, type BurstOutlook } from './burst-tracker.js';

/** Planner knobs that are not part of a model's SLA (layered defaults, units in names). */
export interface PlannerOptions {
  /** Forecast steps of history needed before the forecast is trusted over the reactive fallback. */
  readonly minHistorySteps: number;
  /** How long panic mode forbids scale-down after observed demand beat the forecast, seconds. */
  readonly panicHoldS: number;
  /** Observed peak must exceed the forecast's peak-upper for now by this factor to trigger panic. */
  readonly panicTolerance: number;
  /** In panic, provision the observed peak at the spec's target utilization (headroom) or at full capacity. */
  readonly panicHeadroom: boolean;
  /**
   * Scale-down hysteresis, in replicas, where the forecast moves faster than a replica starts (forecast step shorter
   * than the lead time): a replica is released only when the band (and the observed peak) is at least this much of one
   * replica's capacity below what remains. Without it a band hovering at a replica boundary releases a replica and asks
   * for a new one a tick later, paying a whole lead time and warm-up each time. In replicas, not a fraction of the
   * fleet, so a large fleet keeps no proportional surplus; off for long steps, where the band holds for a whole step.
   */
  readonly scaleDownHysteresisReplicas: number;
  /**
   * The burst rules (keep-alive, pre-warm, bounded panic from the model's burst histograms) apply, on top of the
   * forecast's release band and hysteresis, where the forecast step is shorter than the lead time and at most this share
   * of recent ticks were in a burst (intermittent traffic); traffic busier than that has the forecast's rules only.
   * 0: off. (Replacing the release band and hysteresis instead cost more misses at the same cost on NASA 1-s.)
   */
  readonly burstMaxBusyShare: number;
  /**
   * Where the window reaches the step after the one in progress (steps longer than the lead time), re-anchor that
   * step's band on the level observed so far (`NowcastAnchor`). Default `max`: the higher of the band and the band
   * re-anchored on what the step in progress has already shown (`off` keeps the band only).
   */
  readonly nowcastAnchor: NowcastAnchor;
}

/**
 * Defaults chosen on the bundled and shared real traces (see bench/RESULTS.md): trust the forecast after 24 steps,
 * panic without extra headroom (the observed peak is always covered), hold 30 s without scale-down, and keep a replica
 * while the band is within a quarter replica of needing it (short steps only; the sweep is in bench/RESULTS.md), and
 * plan the step after the one in progress at least at the level the step in progress has shown (`nowcastAnchor: 'max'`;
 * the frontier section of bench/RESULTS.md, issue 18).
 */
export const DEFAULT_PLANNER_OPTIONS: PlannerOptions = {
  minHistorySteps: 24,
  panicHoldS: 30,
  panicTolerance: 1.0,
  panicHeadroom: false,
  scaleDownHysteresisReplicas: 0.25,
  burstMaxBusyShare: 0.5,
  nowcastAnchor: 'max',
};

/**
 * How much farther above the median the release band is than the band (1 where the release quantile is not higher):
 * probit(releaseQuantile) / probit(bandQuantile), the ratio for a normal-shaped band.
 */
export function releaseWidening(bandQuantile: number, releaseQuantile: number): number {
  if (!(releaseQuantile > bandQuantile) || !(bandQuantile > 0.5) || !(releaseQuantile < 1)) return 1;
  return probit(releaseQuantile) / probit(bandQuantile);
}

export interface PlanResult {
  readonly decision: Decision;
  readonly nextState: PlannerState;
  readonly reasons: readonly ReasonCode[];
}

function replicasFor(demandPerS: number, capacityPerS: number): number {
  if (!(demandPerS > 0)) return 0;
  return Math.ceil(demandPerS / capacityPerS - 1e-9);
}

/**
 * Decides how many replicas one model should have (ready + warming). Pure: no clock, no I/O.
 *
 * - Ahead: provisions for the forecast's upper-quantile one-second peak over [now + lead, now + lead + horizon],
 *   at full capacity per replica (the band is the headroom).
 * - Fallback: with too little history (or no forecast) a reactive estimate with the spec's target-utilization headroom.
 * - Safety net: observed demand is always covered at once; when it beats the forecast and exceeds the ready capacity,
 *   panic: no scale-down for `panicHoldS` (Knative's panic mode), optionally with the reactive headroom.
 * - Down: only to the highest recommendation of the stabilization window, never below what the forecast needs
 *   within the lead time (released capacity could not come back in time; that band widened to the spec's
 *   `releaseQuantile`), and, where the forecast step is shorter
 *   than the lead time, not while the band or the observed peak is within `scaleDownHysteresisReplicas` of needing
 *   the capacity that would go.
 * - Nor below the highest target a scale-up asked for within the last lead time (two while replicas are still
 *   warming): that capacity is still starting, and releasing it only to ask again (a stabilization window shorter than
 *   the lead time, a band that dips for a tick) pays its whole lead time and warm-up again while the demand it was
 *   asked for arrives.
 * - Bounds: never below `minWarmReplicas`, never above `maxReplicas`.
 */
export function plan(
  spec: ModelSpec,
  observation: Observation,
  forecast: ForecastBand | null,
  state: PlannerState,
  nowS: number,
  options: PlannerOptions = DEFAULT_PLANNER_OPTIONS,
  /** Set when the SLA-pressure tuning raised the band's quantile: from what, and the share of ticks at risk. */
  quantileTuning?: QuantileRaise,
  /** The model's burst histograms at this tick (`BurstTracker.outlook`); absent: no burst rules. */
  burst?: BurstOutlook,
): PlanResult {
  const leadS =
    observation.measuredLeadTimeS !== undefined && observation.measuredLeadTimeS >= 0
      ? observation.measuredLeadTimeS
      : leadTimeTotalS(spec.leadTime);
  const cap = spec.capacityPerReplicaPerS;
  const current = observation.readyReplicas + observation.warmingReplicas;
  const windowStartS = nowS + leadS;
  const windowEndS = windowStartS + spec.horizonS;
  const reasons: ReasonCode[] = [];

  const obsValid =
    Number.isFinite(observation.peakPerS) && Number.isFinite(observation.demandPerS) && observation.peakPerS >= 0;
  const observedPeak = obsValid ? observation.peakPerS : 0;
  const reactiveNeed = replicasFor(observedPeak, cap);
  const fallbackNeed = Math.ceil(observedPeak / (cap * spec.targetUtilization) - 1e-9);

  const rise = observation.risePerS2 !== undefined && observation.risePerS2 > 0 ? observation.risePerS2 : 0;
  const nowcast = obsValid
    ? { nowS, peakPerS: observedPeak + rise * (windowEndS - nowS), levelPerS: observation.demandPerS }
    : undefined;
  const anchor = options.nowcastAnchor;
  const ahead = forecast ? windowDemand(forecast, windowStartS, windowEndS, nowcast, 1, anchor) : undefined;
  const trusted = !!forecast && !!ahead && ahead.covered && forecast.historySteps >= options.minHistorySteps;
  let p50 = Number.NaN;
  let upper = Number.NaN;
  let desired: number;
  let keepNeed: number;
  let panic = false;
  /** Capacity the hysteresis keeps on a scale-down (replicas); 0 where it does not apply. */
  let hysteresisNeed = 0;
  /** The band over the lead time widened to the release quantile (named in the message of a scale-down considered). */
  let releaseBand: { quantile: number; upperPerS: number } | undefined;
  if (trusted) {
    p50 = ahead.p50PerS;
    upper = ahead.peakUpperPerS;
    const aheadNeed = replicasFor(upper, cap);
    const widening = releaseWidening(forecast.quantile, spec.releaseQuantile);
    const keepUpper = windowDemand(forecast, nowS, windowStartS, nowcast, widening, anchor).peakUpperPerS;
    if (widening > 1) releaseBand = { quantile: spec.releaseQuantile, upperPerS: keepUpper };
    keepNeed = replicasFor(keepUpper, cap);
    const nowUpper = windowDemand(forecast, nowS, nowS + 1).peakUpperPerS;
    // Panic: the forecast for now was beaten AND demand already exceeds the ready capacity (a real shortfall).
    panic = obsValid && observedPeak > nowUpper * options.panicTolerance && reactiveNeed > observation.readyReplicas;
    const inPanic = panic || nowS < state.panicUntilS;
    desired = Math.max(aheadNeed, reactiveNeed, inPanic && options.panicHeadroom ? fallbackNeed : 0);
    if (forecast.stepS < leadS)
      hysteresisNeed = replicasFor(
        Math.max(upper, keepUpper, observedPeak) + options.scaleDownHysteresisReplicas * cap,
        cap,
      );
    if (panic) reasons.push(ReasonCode.ReactivePanic);
    else if (aheadNeed > current) reasons.push(ReasonCode.ForecastScaleAhead);
  } else {
    if (!obsValid) reasons.push(ReasonCode.MissingObservation);
    reasons.push(ReasonCode.ReactiveFallback);
    desired = obsValid ? Math.max(fallbackNeed, reactiveNeed) : current;
    keepNeed = desired;
    if (forecast && ahead) {
      p50 = ahead.p50PerS;
      upper = ahead.peakUpperPerS;
    }
  }

  // Burst rules, per model: intermittent traffic on short forecast steps with a representative burst history.
  const bursty =
    !!burst &&
    burst.bursts >= MIN_BURSTS &&
    (!forecast || forecast.stepS < leadS) &&
    burst.busyShare <= options.burstMaxBusyShare;
  let burstHeld = false;
  if (bursty) {
    if (burst.inBurst && desired > current && desired > burst.panicCapReplicas) {
      desired = Math.max(current, burst.panicCapReplicas);
      reasons.length = 0;
      reasons.push(ReasonCode.BurstPanicBounded);
    }
    if (!burst.inBurst && burst.preWarmReplicas > desired) {
      desired = burst.preWarmReplicas;
      if (desired > current) reasons.push(ReasonCode.PreWarmForBurst);
    }
    keepNeed = Math.max(burst.keepReplicas, keepNeed);
    burstHeld = burst.keepReplicas >= current;
  }

  // A fresh planner (first tick, or after a restart) counts what is running as a recommendation of now, so it never
  // releases capacity on its first look (its live demand window may not have filled yet): scale-down waits one
  // stabilization window like any other.
  const seed = state.recommendations.length === 0 ? [{ atS: nowS, replicas: current }] : [];
  const recommendations = pruneWindow(
    [...seed, ...state.recommendations, { atS: nowS, replicas: desired }],
    nowS - spec.scaleDownStabilizationS,
  );
  const panicUntilS = panic ? nowS + options.panicHoldS : state.panicUntilS;
  // An ask is still starting for one lead time; past it, while replicas are still warming, for up to two (the lead
  // time in use may be the spec's, shorter than what replicas take here; past two a replica counts as failed).
  const asks = state.asks ? pruneAsks(state.asks, nowS - (observation.warmingReplicas > 0 ? 2 * leadS : leadS)) : [];
  let target = desired;
  if (desired < current) {
    const stabilized = recommendations.reduce((m, r) => Math.max(m, r.replicas), 0);
    const starting = asks.reduce((m, r) => Math.max(m, r.replicas), 0);
    const inPanic = nowS < panicUntilS;
    target = Math.min(
      current,
      Math.max(desired, stabilized, keepNeed, hysteresisNeed, starting, inPanic ? current : 0),
    );
    if (target < current)
      reasons.push(ReasonCode.ScaleDownStable, ...(bursty ? [ReasonCode.BurstKeepAliveExpired] : []));
    else if (inPanic) reasons.push(ReasonCode.ReactivePanic);
    else if (bursty && burstHeld) reasons.push(ReasonCode.KeepWarmForBurst);
    else if (trusted && keepNeed >= current) reasons.push(ReasonCode.KeepWarmForForecast);
    else if (stabilized >= current) reasons.push(ReasonCode.ScaleDownStabilizing);
    else if (starting >= current) reasons.push(ReasonCode.KeepStartingCapacity);
    else reasons.push(ReasonCode.ScaleDownHysteresis);
  }
  if (target < spec.minWarmReplicas) {
    target = spec.minWarmReplicas;
    reasons.push(ReasonCode.MinWarmPool);
  }
  if (target > spec.maxReplicas) {
    target = spec.maxReplicas;
    reasons.push(ReasonCode.MaxReplicas);
  }
  if (reasons.length === 0) reasons.push(ReasonCode.Steady);

  const action = target > current ? 'scale-up' : target < current ? 'scale-down' : 'hold';
  const decision: Decision = {
    model: spec.name,
    atS: nowS,
    action,
    from: current,
    to: target,
    reasons,
    message: explain(action, current, target, reasons, {
      leadS,
      observedPeak,
      upper,
      windowStartS,
      windowEndS,
      nowS,
      quantile: forecast?.quantile,
      tuning: quantileTuning,
      release: desired < current && releaseBand ? releaseBand : undefined,
    }),
    forecastP50PerS: p50,
    forecastUpperPerS: upper,
    bandQuantile: forecast ? forecast.quantile : Number.NaN,
    observedPerS: obsValid ? observation.demandPerS : Number.NaN,
    leadTimeS: leadS,
    windowStartS,
    windowEndS,
  };
  const nextAsks = target > current ? [...asks, { atS: nowS, replicas: target }] : asks;
  return { decision, nextState: { recommendations, panicUntilS, lastTarget: target, asks: nextAsks }, reasons };
}

/** The asks made after `fromS` (oldest first). */
function pruneAsks(asks: readonly Recommendation[], fromS: number): Recommendation[] {
  let i = 0;
  while (i < asks.length && asks[i]!.atS <= fromS) i++;
  return asks.slice(i);
}

function pruneWindow(recs: Recommendation[], fromS: number): Recommendation[] {
  let i = 0;
  while (i < recs.length - 1 && recs[i]!.atS < fromS) i++;
  return i === 0 ? recs : recs.slice(i);
}
