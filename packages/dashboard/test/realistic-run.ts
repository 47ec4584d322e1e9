import { ReasonCode, SeededRandom } from '@warmpool/domain';
import type { InMemoryDashboardFeed } from '../src/feed/in-memory-dashboard-feed.js';

export interface RealisticRunOptions {
  readonly model: string;
  readonly startS: number;
  readonly ticks: number;
  readonly seed: number;
  /** Demand shape in req/s at second `s` from the start. */
  readonly demandPerS: (s: number) => number;
  readonly sla: {
    latencyTargetP95Ms: number;
    capacityPerReplicaPerS: number;
    minWarmReplicas: number;
    maxReplicas: number;
  };
}

/**
 * Pushes what a daemon would push for one model: a tick every 5 s (demand with noise, a forecast for the window one
 * lead time ahead, ready and warming replicas) and a decision whenever the plan changes. Deterministic for a seed.
 * A stand-in for the daemon in the page's tests and screenshot, not the planner.
 */
export function pushRealisticRun(feed: InMemoryDashboardFeed, o: RealisticRunOptions): { decisions: number } {
  const tickS = 5;
  const leadS = 45;
  const rng = new SeededRandom(o.seed);
  const cap = o.sla.capacityPerReplicaPerS;
  feed.setSla(o.model, o.sla);
  const clamp = (n: number): number => Math.min(o.sla.maxReplicas, Math.max(o.sla.minWarmReplicas, n));
  let ready = clamp(Math.ceil((o.demandPerS(0) * 1.2) / cap));
  let warming: number[] = [];
  let lowerSinceS: number | null = null;
  let decisions = 0;
  for (let i = 0; i < o.ticks; i += 1) {
    const s = i * tickS;
    const atS = o.startS + s;
    ready += warming.filter((readyAtS) => readyAtS <= atS).length;
    warming = warming.filter((readyAtS) => readyAtS > atS);
    const observedPerS = o.demandPerS(s) * (1 + (rng.next() - 0.5) * 0.12);
    const p50 = o.demandPerS(s + leadS + tickS / 2) * (1 + (rng.next() - 0.5) * 0.1);
    const upper = p50 * 1.18 + 4;
    // Provision for the forecast window, but never below what the demand of now needs (a planner keeps that).
    const want = clamp(Math.max(Math.ceil(upper / cap), Math.ceil((observedPerS * 1.1) / cap)));
    const have = ready + warming.length;
    const panic = observedPerS > ready * cap * 1.05 && want <= have && warming.length === 0;
    const decide = (action: 'scale-up' | 'scale-down', to: number, reasons: ReasonCode[], message: string): void => {
      feed.recordDecision(o.model, { atS, action, from: have, to, reasons, message });
      decisions += 1;
    };
    if (want > have) {
      decide(
        'scale-up',
        want,
        [ReasonCode.ForecastScaleAhead],
        `forecast upper ${upper.toFixed(0)} req/s in [${leadS}, ${leadS + tickS}] s ahead needs ${want} replicas; ${have} requested`,
      );
      for (let k = have; k < want; k += 1) warming.push(atS + leadS);
      lowerSinceS = null;
    } else if (panic) {
      const to = Math.min(o.sla.maxReplicas, have + 1);
      decide(
        'scale-up',
        to,
        [ReasonCode.ReactivePanic],
        `observed ${observedPerS.toFixed(0)} req/s is over ready capacity ${ready * cap} req/s`,
      );
      warming.push(atS + leadS);
    } else if (want < have && warming.length === 0) {
      lowerSinceS ??= s;
      if (s - lowerSinceS >= 30) {
        decide('scale-down', want, [ReasonCode.ScaleDownStable], `recommendation stayed at ${want} for 30 s`);
        ready = want;
        lowerSinceS = null;
      }
    } else lowerSinceS = null;
    feed.recordTick(o.model, {
      atS,
      observedPerS,
      forecastP50PerS: p50,
      forecastUpperPerS: upper,
      windowStartS: atS + leadS,
      windowEndS: atS + leadS + tickS,
      readyReplicas: ready,
      warmingReplicas: warming.length,
    });
  }
  return { decisions };
}

/** A quiet baseline, a step up at 2 min that the forecast sees coming, and a decline. */
export function stepDemandPerS(baselinePerS: number, peakPerS: number): (s: number) => number {
  return (s) => {
    const wave = 1 + 0.08 * Math.sin(s / 23);
    if (s < 120) return baselinePerS * wave;
    if (s < 150) return (baselinePerS + ((peakPerS - baselinePerS) * (s - 120)) / 30) * wave;
    if (s < 200) return peakPerS * wave;
    if (s < 240) return (peakPerS - ((peakPerS - baselinePerS * 1.5) * (s - 200)) / 40) * wave;
    return baselinePerS * 1.5 * wave;
  };
}
