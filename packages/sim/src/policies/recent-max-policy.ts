import { WarmpoolError } from '@warmpool/domain';
import { replicasFor } from '../engine/serving.js';
import type { SimConfig, SimPolicy, SimPolicyFactory, SimView } from './sim-policy.js';

export interface RecentMaxSettings {
  /** Look-back window, seconds: the policy keeps what the busiest second of the last `windowS` needed. */
  readonly windowS: number;
  /** Headroom over that peak, a fraction (0.25 = 25 % more). */
  readonly headroom: number;
}

/** Defaults: the 10-minute window issue 18 measured against, 25 % headroom. */
export const RECENT_MAX_DEFAULTS: RecentMaxSettings = { windowS: 600, headroom: 0.25 };

/** The crude scale-ahead baseline: replicas for max(demand over the last W seconds) x (1 + h) at full capacity. */
export const recentMaxPolicy: SimPolicyFactory = recentMaxPolicyWith(RECENT_MAX_DEFAULTS);

export function recentMaxPolicyWith(settings: RecentMaxSettings): SimPolicyFactory {
  if (!Number.isInteger(settings.windowS) || settings.windowS < 1)
    throw new WarmpoolError(
      'E_INVALID_SETTING',
      `recent-max windowS: got ${settings.windowS}, allowed: an integer >= 1`,
    );
  if (!(settings.headroom >= 0) || !Number.isFinite(settings.headroom))
    throw new WarmpoolError(
      'E_INVALID_SETTING',
      `recent-max headroom: got ${settings.headroom}, allowed: a finite number >= 0`,
    );
  return (config: SimConfig): SimPolicy => {
    const w = settings.windowS;
    // Monotonic deque of (second, demand): the front is the window's maximum. Bounded by w entries.
    const at = new Int32Array(w + 1);
    const val = new Float64Array(w + 1);
    let head = 0;
    let size = 0;
    const slot = (i: number) => (head + i) % (w + 1);
    return {
      name: 'recent-max',
      desired(view: SimView): number {
        const t = view.now;
        if (t > 0) {
          const d = view.observed.at(t - 1);
          while (size > 0 && val[slot(size - 1)]! <= d) size--;
          at[slot(size)] = t - 1;
          val[slot(size)] = d;
          size++;
        }
        while (size > 0 && at[head]! < t - w) {
          head = (head + 1) % (w + 1);
          size--;
        }
        const peak = size > 0 ? val[head]! : 0;
        return replicasFor(peak * (1 + settings.headroom), config.capacityPerS);
      },
    };
  };
}
