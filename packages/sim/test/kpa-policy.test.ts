import { describe, expect, it } from 'vitest';
import { runSimulation } from '../src/engine/run-simulation.js';
import { kpaPolicy } from '../src/policies/kpa-policy.js';
import { fixedConfig } from './scripted-policy.js';

describe('kpa (Knative Pod Autoscaler defaults)', () => {
  // capacity 10 req/s, targetUtil 0.5 -> target 5 req/s per pod; min 2 (so the start is not itself a panic),
  // lead 20 s. demand 10 req/s, a burst of 40 req/s over 100 <= t < 130, then 10 again.
  const demand = new Float64Array(260);
  for (let t = 0; t < 260; t++) demand[t] = t >= 100 && t < 130 ? 40 : 10;
  const config = fixedConfig({ leadS: 20, capacityPerS: 10, targetUtil: 0.5, minReplicas: 2, maxReplicas: 100 });
  const alive: number[] = [];
  runSimulation(demand, config, kpaPolicy, { traceName: 'kpa', nowMs: () => 0, onSecond: (_t, a) => alive.push(a) });

  it('holds ceil(rate / target) in the stable regime', () => {
    expect(alive.slice(0, 102).every((a) => a === 2)).toBe(true); // 10 / 5 = 2
  });

  it('panics on the 6-s window and only scales up while panicking', () => {
    // t=102: panic window 96..101 = (4 x 10 + 2 x 40) / 6 = 20 -> 4 pods = 2 x 2 ready: panic.
    //   stable window 42..101 = (58 x 10 + 2 x 40) / 60 = 11 -> 3; in panic max(3, 4) = 4.
    expect(alive[102]).toBe(4);
    // t=104: panic window (2 x 10 + 4 x 40) / 6 = 30 -> 6; t=106: 40 -> 8.
    expect(alive[104]).toBe(6);
    expect(alive[106]).toBe(8);
    // The last tick over the threshold is t=122 (8 pods wanted / 4 ready = 2); panic ends when 60 s have
    // passed since then, at t=184. Until then the count never drops, although the burst ended at 130.
    expect(alive.slice(106, 184).every((a) => a === 8)).toBe(true);
  });

  it('leaves panic after the stable window and scales down at most by half per tick', () => {
    // t=184: stable window 124..183 = (6 x 40 + 54 x 10) / 60 = 13 -> 3, floor(8 / 2) = 4 -> 4.
    expect(alive[184]).toBe(4);
    // t=186: (4 x 40 + 56 x 10) / 60 = 12 -> 3 (>= floor(4 / 2)); t=190: 10 -> 2.
    expect(alive[186]).toBe(3);
    expect(alive[190]).toBe(2);
    expect(alive.slice(190).every((a) => a === 2)).toBe(true);
  });
});
