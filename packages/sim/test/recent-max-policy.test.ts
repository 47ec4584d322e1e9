import { describe, expect, it } from 'vitest';
import { runSimulation } from '../src/engine/run-simulation.js';
import { recentMaxPolicyWith } from '../src/policies/recent-max-policy.js';
import { ObservedDemand } from '../src/engine/observed-demand.js';
import { fixedConfig } from './scripted-policy.js';

describe('recent-max baseline', () => {
  it('asks for max(last W seconds) x (1 + h) at full capacity, and forgets a peak after W seconds', () => {
    const demand = Float64Array.from([2, 8, 1, 1, 1, 1, 1]);
    const policy = recentMaxPolicyWith({ windowS: 3, headroom: 0.5 })(
      fixedConfig({ capacityPerS: 2, maxReplicas: 100 }),
      demand,
    );
    const observed = new ObservedDemand(demand);
    const wants: number[] = [];
    for (let t = 0; t < demand.length; t++) {
      observed.now = t;
      wants.push(policy.desired({ now: t, ready: 0, warming: 0, backlog: 0, readyBy: () => 0, observed }));
    }
    // t=0 nothing seen; t=1: max 2 -> 3/2 -> 2; t=2..4: max 8 -> 12/2 = 6; t=5: window {2,3,4} max 1 -> 1.5/2 -> 1.
    expect(wants).toEqual([0, 2, 6, 6, 6, 1, 1]);
  });

  it('matches a brute-force window maximum on a random series', () => {
    let x = 7;
    const demand = Float64Array.from({ length: 500 }, () => {
      x = (x * 48271) % 2147483647;
      return (x % 97) / 3;
    });
    const w = 17;
    const config = fixedConfig({ capacityPerS: 1.5, maxReplicas: 1000, leadS: 0 });
    const got: number[] = [];
    runSimulation(demand, config, recentMaxPolicyWith({ windowS: w, headroom: 0.25 }), {
      traceName: 'r',
      nowMs: () => 0,
      onSecond: (_t, alive) => got.push(alive),
    });
    for (let t = 1; t < demand.length; t++) {
      let m = 0;
      for (let s = Math.max(0, t - w); s < t; s++) m = Math.max(m, demand[s]!);
      expect(got[t]).toBe(Math.ceil((m * 1.25) / 1.5 - 1e-9));
    }
  });

  it('rejects a bad window or headroom naming the setting', () => {
    expect(() => recentMaxPolicyWith({ windowS: 0, headroom: 0 })).toThrow(/windowS: got 0/);
    expect(() => recentMaxPolicyWith({ windowS: 10, headroom: -1 })).toThrow(/headroom: got -1/);
  });
});
