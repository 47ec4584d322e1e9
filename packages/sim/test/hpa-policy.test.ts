import { describe, expect, it } from 'vitest';
import { runSimulation } from '../src/engine/run-simulation.js';
import { hpaPolicy } from '../src/policies/hpa-policy.js';
import { hpaReplicaCount, utilizationPercent } from '../src/policies/hpa-replica-calculator.js';
import { LivePolicyDriver } from '../src/live/live-policy-driver.js';
import { fixedConfig } from './scripted-policy.js';

describe('hpa replica calculator (Kubernetes GetResourceReplicas)', () => {
  const base = {
    currentReplicas: 4,
    readyPods: 4,
    unreadyPods: 0,
    capacityPerS: 10,
    targetPercent: 50,
    tolerance: 0.1,
  };

  it('truncates utilization to an integer percent like Kubernetes', () => {
    expect(utilizationPercent(16.666666666666668, 1, 10)).toBe(166);
    expect(utilizationPercent(7, 1, 10)).toBe(70); // 70.00000000000001 or 69.99999999999999 must both read 70
    expect(utilizationPercent(0.7 * 3, 3, 1)).toBe(70);
  });

  it('keeps the count within the 10 % tolerance and scales proportionally outside it', () => {
    expect(hpaReplicaCount({ ...base, loadPerS: 21.9 })).toBe(4); // 54 % / 50 % = 1.08: within 0.1
    expect(hpaReplicaCount({ ...base, loadPerS: 22.4 })).toBe(5); // 56 % -> 1.12 -> ceil(4.48) = 5
    expect(hpaReplicaCount({ ...base, loadPerS: 10 })).toBe(2); // 25 % -> 0.5 -> ceil(2) = 2
  });

  it('takes unready pods at 0 % on a scale-up and keeps the count when that flips the direction', () => {
    // ready 1 at 225 % -> ratio 4.5 > 1 with 3 unready: recompute over 4 pods: 56 % -> 1.12 -> ceil(4.48) = 5
    expect(hpaReplicaCount({ ...base, readyPods: 1, unreadyPods: 3, loadPerS: 22.5 })).toBe(5);
    // ready 1 at 150 %, 3 unready: over 4 pods 37 % -> 0.74 < 1: direction flips -> keep 4
    expect(hpaReplicaCount({ ...base, readyPods: 1, unreadyPods: 3, loadPerS: 15 })).toBe(4);
    // on a scale-down unready pods are simply ignored: ready 2 at 25 % -> 0.5 -> ceil(1) = 1
    expect(hpaReplicaCount({ ...base, readyPods: 2, unreadyPods: 2, loadPerS: 5 })).toBe(1);
    // no ready pod: no metric, no recommendation
    expect(hpaReplicaCount({ ...base, readyPods: 0, unreadyPods: 4, loadPerS: 5 })).toBeNull();
  });
});

describe('hpa golden fixture (hand-checked)', () => {
  // capacity 10 req/s per replica, target 50 %, lead 30 s, min 1, max 100.
  // demand: 5 req/s for t < 30, 40 req/s for 30 <= t < 120, 5 req/s for 120 <= t < 600.
  // The engine starts with what the first 30 s need: ceil(5 / 10) = 1 replica.
  const demand = new Float64Array(600);
  for (let t = 0; t < 600; t++) demand[t] = t < 30 ? 5 : t < 120 ? 40 : 5;
  const config = fixedConfig({
    leadS: 30,
    capacityPerS: 10,
    targetUtil: 0.5,
    minReplicas: 1,
    maxReplicas: 100,
    peakReplicas: 8,
  });
  const alive: number[] = [];
  const ready: number[] = [];
  const r = runSimulation(demand, config, hpaPolicy, {
    traceName: 'hpa-golden',
    nowMs: () => 0,
    onSecond: (_t, a, rd) => {
      alive.push(a);
      ready.push(rd);
    },
  });

  it('scales up as the replica calculator and the rate limit dictate', () => {
    // t=0: no metric yet, t=15, 30: mean 5 -> 50 % -> ratio 1.0 -> keep 1.
    expect(alive.slice(0, 45).every((a) => a === 1)).toBe(true);
    // t=45: window 0..44 = 30 x 5 + 15 x 40 = 750 -> 16.67 req/s -> 166 % -> 3.32 -> ceil(3.32 x 1) = 4;
    //   limit max(1 + 4, 2 x 1) = 5 -> 4 (3 requested, ready at 75).
    expect(alive[45]).toBe(4);
    // t=60: window 0..59 = 150 + 30 x 40 = 1350 -> 22.5 -> 225 % on 1 ready -> 4.5, 3 unready at 0 %:
    //   22.5 / 40 = 56 % -> 1.12 -> ceil(1.12 x 4) = 5 (1 requested, ready at 90).
    expect(alive[60]).toBe(5);
    // t=75: ready 4, warming 1; window 15..74 = 15 x 5 + 45 x 40 = 1875 -> 31.25 -> 78 % -> 1.56;
    //   over 5 pods 62 % -> 1.24 -> ceil(6.2) = 7 (2 requested, ready at 105).
    expect(alive[75]).toBe(7);
    expect(ready[75]).toBe(4);
    // t=90: ready 5, warming 2; window 30..89 all 40 -> 80 % -> 1.6; over 7 pods 57 % -> 1.14 -> ceil(7.98) = 8.
    expect(alive[90]).toBe(8);
    // t=105: ready 7, warming 1: 57 % -> over 8 pods 50 % -> 1.0, within tolerance: keep 8.
    expect(alive[105]).toBe(8);
    expect(ready[119]).toBe(7);
    expect(ready[120]).toBe(8);
  });

  it('scales down only as recommendations leave the 300 s stabilization window', () => {
    // Recommendations after the drop at 120: t=120: 50 % on 8 -> keep 8; t=135: 31.25 -> 39 % -> 0.78 -> 7;
    // t=150: 22.5 -> 28 % -> 0.56 -> 5; t=165: 13.75 -> 17 % -> 0.34 -> 3; t>=180: 5 -> 6 % -> 0.12 -> 1.
    // The scale follows the max recommendation of (t - 300, t]: 8 until the t=120 one leaves at t=420.
    expect(alive.slice(120, 420).every((a) => a === 8)).toBe(true);
    expect(alive[420]).toBe(7); // max of 135..420 = 7
    expect(alive[435]).toBe(5); // max of 150..435 = 5
    expect(alive[450]).toBe(3); // max of 165..450 = 3
    expect(alive[465]).toBe(1); // then 1 % ... on 3 replicas: 16 % -> 0.32 -> ceil(0.96) = 1
    expect(alive.slice(465).every((a) => a === 1)).toBe(true); // 1 replica at 50 %: ratio 1.0, stays
  });

  it('has the hand-computed totals', () => {
    // violations: 40 req/s against 1 ready replica (10 req/s) from 30 to 74: 45 s x 30 = 1350 requests;
    // from 75 on at least 4 ready replicas serve 40, and after 120 one replica serves 5.
    expect(r.violatingRequests).toBe(1350);
    // requests: 30 x 5 + 90 x 40 + 480 x 5 = 150 + 3600 + 2400 = 6150
    expect(r.totalRequests).toBe(6150);
    // replica-seconds: 45 x 1 + 15 x 4 + 15 x 5 + 15 x 7 + 330 x 8 (90..419) + 15 x 7 + 15 x 5 + 15 x 3 + 135 x 1
    //   = 45 + 60 + 75 + 105 + 2640 + 105 + 75 + 45 + 135 = 3285
    expect(r.replicaSeconds).toBe(3285);
    expect(r.scaleUps).toBe(4); // at 45, 60, 75, 90
    expect(r.maxReplicas).toBe(8);
  });

  it('never scales up by more than max(4 pods, 100 %) per sync', () => {
    // a step from 0.5 to 400 req/s at t=110 with lead 100 (nothing new is ready before 220): at t=120 the
    // calculator asks for ceil(13.4) = 14 from 1 replica but the limit is max(1 + 4, 2 x 1) = 5; then 10, 20, 40.
    const burst = new Float64Array(200);
    for (let t = 0; t < 200; t++) burst[t] = t < 110 ? 0.5 : 400;
    const a: number[] = [];
    runSimulation(burst, { ...config, leadS: 100 }, hpaPolicy, {
      traceName: 'b',
      nowMs: () => 0,
      onSecond: (_t, x) => a.push(x),
    });
    expect([a[119], a[120], a[135], a[150], a[165]]).toEqual([1, 5, 10, 20, 40]);
  });
});

describe('hpa: a fresh controller', () => {
  it('counts the replicas it finds as its first recommendation (Kubernetes recordInitialRecommendation): it holds them for one stabilization window', () => {
    const driver = new LivePolicyDriver(
      hpaPolicy,
      fixedConfig({ leadS: 30, capacityPerS: 10, targetUtil: 0.5, minReplicas: 1, maxReplicas: 100, peakReplicas: 8 }),
    );
    for (let s = 0; s < 60; s++) driver.recordSecond(5); // history: 5 req/s, one replica's worth at 50 %
    const wanted: number[] = [];
    for (let s = 60; s < 400; s++) {
      wanted.push(driver.desired(4, 0));
      driver.recordSecond(5);
    }
    // first sync at t=60: the calculator says 1, the recommendation of 4 recorded then holds until it leaves at t=360
    expect(wanted.slice(0, 300).every((w) => w === 4)).toBe(true);
    expect(wanted[300]).toBe(1);
  });
});
