import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../src/engine/run-simulation.js';
import { simConfigFor, type SimSettings } from '../src/engine/sim-config.js';
import { replicasFor } from '../src/engine/serving.js';
import { OracleSchedule } from '../src/policies/oracle-schedule.js';
import { POLICIES } from '../src/policies/registry.js';
import type { SimConfig, SimPolicyFactory } from '../src/policies/sim-policy.js';
import { scriptedPolicy } from './scripted-policy.js';

const opts = { traceName: 'prop', nowMs: () => 0 };

/** Bursty demand: runs of zeros, plateaus and spikes (what makes autoscalers violate). */
const demandArb = fc
  .array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 50, noNaN: true }), fc.integer({ min: 0, max: 400 })), {
    minLength: 1,
    maxLength: 240,
  })
  .map((xs) => Float64Array.from(xs));

const settingsArb = fc.record({
  leadS: fc.integer({ min: 0, max: 40 }),
  peakReplicas: fc.integer({ min: 1, max: 12 }),
  targetUtil: fc.double({ min: 0.3, max: 1, noNaN: true }),
  minReplicas: fc.integer({ min: 0, max: 2 }),
  queue: fc.boolean(),
});

function configOf(demand: Float64Array, s: SimSettings): SimConfig {
  return simConfigFor(demand, 1, s);
}

const run = (demand: Float64Array, config: SimConfig, p: SimPolicyFactory) => runSimulation(demand, config, p, opts);

describe('simulator properties', () => {
  it('oracle never violates and costs exactly its schedule', () => {
    fc.assert(
      fc.property(demandArb, settingsArb, (demand, s) => {
        const config = configOf(demand, s);
        const r = run(demand, config, POLICIES['oracle']!);
        expect(r.violatingRequests).toBe(0);
        expect(r.replicaSeconds).toBe(new OracleSchedule(demand, config).replicaSeconds);
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it('oracle stays violation-free with a fractional lead time (ready from the next whole second)', () => {
    fc.assert(
      fc.property(demandArb, settingsArb, fc.double({ min: 0, max: 30, noNaN: true }), (demand, s, leadS) => {
        const config = { ...configOf(demand, s), leadS };
        const r = run(demand, config, POLICIES['oracle']!);
        expect(r.violatingRequests).toBe(0);
        expect(r.replicaSeconds).toBe(
          run(demand, { ...config, leadS: Math.ceil(leadS) }, POLICIES['oracle']!).replicaSeconds,
        );
      }),
      { numRuns: 100, seed: 13 },
    );
  });

  it('oracle keeps alive the max of the needed replicas over [t, t + lead]', () => {
    fc.assert(
      fc.property(demandArb, settingsArb, (demand, s) => {
        const config = configOf(demand, s);
        const sched = new OracleSchedule(demand, config);
        const need = [...demand].map((d) =>
          Math.min(config.maxReplicas, Math.max(config.minReplicas, replicasFor(d, config.capacityPerS))),
        );
        for (let t = 0; t < demand.length; t++) {
          const window = need.slice(t, Math.min(demand.length, t + config.leadS + 1));
          expect(sched.alive[t]).toBe(Math.max(...window));
        }
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('oracle costs no more than any zero-violation run of any other policy or random schedule', () => {
    const others = ['hpa', 'kpa', 'aws-predictive', 'static'];
    fc.assert(
      fc.property(
        demandArb,
        settingsArb,
        fc.array(fc.integer({ min: 0, max: 14 }), { minLength: 1, maxLength: 240 }),
        fc.integer({ min: 0, max: 14 }),
        (demand, s, wants, initial) => {
          const config = configOf(demand, s);
          const oracle = run(demand, config, POLICIES['oracle']!).replicaSeconds;
          const candidates = [
            ...others.map((n) => run(demand, config, POLICIES[n]!)),
            run(demand, config, scriptedPolicy(wants, { initial })),
          ];
          for (const r of candidates)
            if (r.violatingRequests === 0) expect(oracle).toBeLessThanOrEqual(r.replicaSeconds);
        },
      ),
      { numRuns: 120, seed: 11 },
    );
  });

  it('static never violates', () => {
    fc.assert(
      fc.property(demandArb, settingsArb, (demand, s) => {
        const r = run(demand, configOf(demand, s), POLICIES['static']!);
        expect(r.violatingRequests).toBe(0);
      }),
      { numRuns: 150, seed: 3 },
    );
  });

  it('every policy is deterministic and stays within [minReplicas, maxReplicas]', () => {
    fc.assert(
      fc.property(demandArb, settingsArb, (demand, s) => {
        const config = configOf(demand, s);
        for (const [name, p] of Object.entries(POLICIES)) {
          let lo = Infinity;
          let hi = -Infinity;
          const a = runSimulation(demand, config, p, {
            ...opts,
            onSecond: (_t, alive) => {
              lo = Math.min(lo, alive);
              hi = Math.max(hi, alive);
            },
          });
          const b = run(demand, config, p);
          expect({ ...b, simMs: 0 }, name).toEqual({ ...a, simMs: 0 });
          if (name !== 'static') {
            expect(lo).toBeGreaterThanOrEqual(config.minReplicas);
            expect(hi).toBeLessThanOrEqual(config.maxReplicas);
          }
          expect(a.violatingRequests).toBeLessThanOrEqual(a.totalRequests + 1e-9);
        }
      }),
      { numRuns: 60, seed: 5 },
    );
  });
});
