import { describe, expect, it } from 'vitest';
import { LivePolicyDriver, POLICIES, ReplicaPool, initialReplicas, runSimulation, simConfigFor } from '../src/index.js';

/** A bursty, seeded per-second demand series. */
function demandSeries(n: number, seed: number): Float64Array {
  let x = seed;
  const rnd = () => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return x / 2147483648;
  };
  const d = new Float64Array(n);
  for (let t = 0; t < n; t++) d[t] = Math.round(20 + 15 * Math.sin(t / 90) + (t % 400 > 300 ? 40 : 0) + 6 * rnd());
  return d;
}

describe('LivePolicyDriver', () => {
  for (const name of ['hpa', 'kpa', 'aws-predictive', 'static']) {
    it(`drives ${name} live exactly as the simulator does`, () => {
      const demand = demandSeries(4000, 7);
      const config = simConfigFor(demand, 1, { leadS: 20 });
      const simAlive: number[] = [];
      runSimulation(demand, config, POLICIES[name]!, { traceName: 't', onSecond: (_t, alive) => simAlive.push(alive) });

      // A live world with the engine's semantics: the driver sees only what has arrived, then the pool acts.
      const driver = new LivePolicyDriver(POLICIES[name]!, config);
      const pool = new ReplicaPool();
      pool.ready = name === 'static' ? config.peakReplicas : initialReplicas(demand, config);
      const liveAlive: number[] = [];
      for (let t = 0; t < demand.length; t++) {
        pool.promote(t);
        if (t > 0) driver.recordSecond(demand[t - 1]!);
        expect(driver.nowS).toBe(t);
        const want = driver.desired(pool.ready, pool.warming);
        if (want > pool.alive) pool.request(want - pool.alive, t + config.leadS);
        else if (want < pool.alive) pool.release(pool.alive - want, 'warming-first');
        liveAlive.push(pool.alive);
      }
      expect(liveAlive).toEqual(simAlive);
    });
  }

  it('never lets a policy read the current second', () => {
    const config = simConfigFor(new Float64Array([1, 2, 3]), 1, {});
    const peek = new LivePolicyDriver(() => ({ name: 'peek', desired: (v) => v.observed.at(v.now) }), config);
    expect(() => peek.desired(1, 0)).toThrow(/the future/);
  });

  it('clamps to the configured bounds and ignores bad counts', () => {
    const config = simConfigFor(new Float64Array([10, 10]), 1, { minReplicas: 2, maxReplicas: 5 });
    const d = new LivePolicyDriver(() => ({ name: 'wild', desired: (v) => (v.now % 2 === 0 ? 100 : 0) }), config);
    expect(d.desired(1, 0)).toBe(5);
    d.recordSecond(Number.NaN);
    expect(d.desired(1, 0)).toBe(2);
    expect(d.name).toBe('wild');
  });
});
