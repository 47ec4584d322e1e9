import { observedMeanPerS } from './observed-window.js';
import type { SimConfig, SimPolicy, SimPolicyFactory, SimView } from './sim-policy.js';
import { timeScaler } from './time-scale.js';

/** Knative Pod Autoscaler defaults (config-autoscaler ConfigMap), with the RPS metric. */
export interface KpaSettings {
  /** stable-window (60 s). */
  readonly stableWindowS: number;
  /** panic-window-percentage (10 % of the stable window: 6 s). */
  readonly panicWindowS: number;
  /** panic-threshold-percentage (200 %). */
  readonly panicThreshold: number;
  /** tick-interval (2 s). */
  readonly tickS: number;
  /** max-scale-up-rate (1000). */
  readonly maxScaleUpRate: number;
  /** max-scale-down-rate (2). */
  readonly maxScaleDownRate: number;
}

export const KPA_DEFAULTS: KpaSettings = {
  stableWindowS: 60,
  panicWindowS: 6,
  panicThreshold: 2,
  tickS: 2,
  maxScaleUpRate: 1000,
  maxScaleDownRate: 2,
};

/**
 * The Knative decider (knative/serving pkg/autoscaler/scaling/autoscaler.go, `Scale`), on request rate: per tick
 * the observed total rate averaged over the stable and the panic window (over the seconds seen so far, as
 * Knative's bucket average does) gives desired = ceil(rate / target) with target = capacity x targetUtil per pod,
 * kept within [floor(ready / maxScaleDownRate), ceil(ready x maxScaleUpRate)] (ready taken as at least 1).
 * Panic starts (or is extended) when the panic-window desired count / ready >= the panic threshold; in panic the
 * count is the larger of the stable and panic counts and never decreases; panic ends once a full stable window has
 * passed since it was last over the threshold. No metric yet (second 0): the scale is left alone. Scale-to-zero is
 * off: the engine clamps to minReplicas.
 */
export class KpaDecider {
  private panicSinceS: number | null = null;
  private maxPanicPods = 0;
  private target: number | null = null;

  constructor(
    private readonly config: SimConfig,
    private readonly settings: KpaSettings = KPA_DEFAULTS,
  ) {}

  desired(view: SimView): number {
    if (view.now % this.settings.tickS === 0) {
      const next = this.scale(view);
      if (next !== null) this.target = next;
    }
    return this.target ?? view.ready + view.warming;
  }

  private scale(view: SimView): number | null {
    const s = this.settings;
    const stable = observedMeanPerS(view.observed, view.now, s.stableWindowS);
    const panic = observedMeanPerS(view.observed, view.now, s.panicWindowS);
    if (Number.isNaN(stable) || Number.isNaN(panic)) return null;
    const readyPods = Math.max(1, view.ready);
    const maxScaleUp = Math.ceil(s.maxScaleUpRate * readyPods);
    const maxScaleDown = Math.floor(readyPods / s.maxScaleDownRate);
    const targetPerPod = this.config.capacityPerS * this.config.targetUtil;
    const dspc = Math.ceil(stable / targetPerPod);
    const dppc = Math.ceil(panic / targetPerPod);
    const desiredStable = Math.min(Math.max(dspc, maxScaleDown), maxScaleUp);
    const desiredPanic = Math.min(Math.max(dppc, maxScaleDown), maxScaleUp);
    const overPanic = dppc / readyPods >= s.panicThreshold;
    if (overPanic) {
      this.panicSinceS = view.now; // begin, or extend, panic
    } else if (this.panicSinceS !== null && this.panicSinceS + s.stableWindowS < view.now) {
      this.panicSinceS = null;
      this.maxPanicPods = 0;
    }
    if (this.panicSinceS === null) return desiredStable;
    const want = Math.max(desiredStable, desiredPanic);
    if (want > this.maxPanicPods) this.maxPanicPods = want;
    return this.maxPanicPods;
  }
}

/** `kpa`: Knative Pod Autoscaler defaults on request rate. */
export const kpaPolicy: SimPolicyFactory = kpaPolicyWith(KPA_DEFAULTS);

/** A KPA with other settings (e.g. `timeScaledKpaSettings`). */
export function kpaPolicyWith(settings: KpaSettings): SimPolicyFactory {
  return (config): SimPolicy => {
    const kpa = new KpaDecider(config, settings);
    return { name: 'kpa', desired: (view) => kpa.desired(view) };
  };
}

/** The settings in a world `k` times faster: windows and tick scaled by `timeScaler(k)`; ratios stay. */
export function timeScaledKpaSettings(k: number, s: KpaSettings = KPA_DEFAULTS): KpaSettings {
  const t = timeScaler(k);
  return { ...s, stableWindowS: t(s.stableWindowS), panicWindowS: t(s.panicWindowS), tickS: t(s.tickS) };
}
