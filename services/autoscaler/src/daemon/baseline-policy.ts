import type { ModelSpec, StepObservation } from '@warmpool/domain';
import {
  hpaPolicyWith,
  kpaPolicyWith,
  LivePolicyDriver,
  timeScaledHpaSettings,
  timeScaledKpaSettings,
  type SimConfig,
} from '@warmpool/sim';

/** How a model loop decides: the ModelPlanner (`predictive`, the default) or one of the simulator's baselines. */
export type ScalingPolicyName = 'predictive' | 'hpa' | 'kpa';
export const SCALING_POLICY_NAMES: readonly ScalingPolicyName[] = ['predictive', 'hpa', 'kpa'];

/** What a baseline wants this tick. */
export interface BaselineDecision {
  readonly to: number;
  /** `BaselineHpa` / `BaselineKpa`: names the baseline in the decision log and the scale request. */
  readonly reason: string;
  readonly message: string;
}

/** The simulator's view of one model, from its spec (lead time = provision + load + warm-up). */
export function simConfigForSpec(spec: ModelSpec): SimConfig {
  return {
    leadS: spec.leadTime.provisionS + spec.leadTime.loadS + spec.leadTime.warmupS,
    capacityPerS: spec.capacityPerReplicaPerS,
    targetUtil: spec.targetUtilization,
    minReplicas: spec.minWarmReplicas,
    maxReplicas: spec.maxReplicas,
    queue: false,
    peakReplicas: spec.maxReplicas,
    binS: 1,
  };
}

/**
 * A baseline (Kubernetes HPA or Knative KPA defaults) in place of the ModelPlanner: the simulator's own policy code
 * through LivePolicyDriver, fed the live per-second demand (history first, one second per step second), asked every
 * second with the provider's ready and warming counts. The daemon acts on its answer through the same queue and
 * provider path, so the end-to-end benchmark compares exactly what the simulator compares.
 */
export class BaselinePolicy {
  readonly name: 'hpa' | 'kpa';
  private readonly driver: LivePolicyDriver;
  private readonly reason: string;

  /**
   * @param timeScale 1 (default): the controllers' own defaults (HPA: 15-s sync, 60-s metric window, 300-s
   *   scale-down stabilization; KPA: 60-s stable and 6-s panic windows). k > 1: every period and window divided by k,
   *   for a world that runs k times faster than a cluster (the end-to-end benchmark's seconds-long replica start-up).
   */
  constructor(name: 'hpa' | 'kpa', spec: ModelSpec, timeScale = 1) {
    this.name = name;
    const factory =
      name === 'hpa'
        ? hpaPolicyWith(timeScaledHpaSettings(timeScale))
        : kpaPolicyWith(timeScaledKpaSettings(timeScale));
    this.driver = new LivePolicyDriver(factory, simConfigForSpec(spec));
    this.reason = name === 'hpa' ? 'BaselineHpa' : 'BaselineKpa';
  }

  /** Seconds of demand recorded so far. */
  get recordedS(): number {
    return this.driver.nowS;
  }

  /** History: every step becomes `stepS` seconds at its mean (missing steps: 0). */
  backfill(steps: readonly StepObservation[], stepS: number): void {
    for (const s of steps) for (let i = 0; i < stepS; i++) this.driver.recordSecond(s.meanPerS);
  }

  /**
   * Records the complete seconds that arrived since the last tick and asks the policy once per second (as the
   * simulator does); with no new second it asks again for the current one.
   */
  decide(seconds: readonly number[], ready: number, warming: number): BaselineDecision {
    let to = 0;
    if (seconds.length === 0) to = this.driver.desired(ready, warming);
    for (const count of seconds) {
      this.driver.recordSecond(count);
      to = this.driver.desired(ready, warming);
    }
    return {
      to,
      reason: this.reason,
      message: `${this.name} baseline (the simulator's ${this.name} policy, live) wants ${to} replica(s) with ${ready} ready and ${warming} warming`,
    };
  }
}
