import { describe, expect, it } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { InMemoryReplicaProvider } from '@warmpool/testing/conformance';
import {
  POLICIES,
  hpaPolicyWith,
  initialReplicas,
  kpaPolicyWith,
  runSimulation,
  timeScaledHpaSettings,
  timeScaledKpaSettings,
} from '@warmpool/sim';
import { BaselinePolicy, simConfigForSpec } from '../src/daemon/baseline-policy.js';
import { T0, config, harness, perSecondFrom } from './support/daemon-harness.js';

const ONE_MODEL = `tickS: 1
models:
  - name: a
    capacityPerReplicaPerS: 10
    leadTime: { provisionS: 6, loadS: 2, warmupS: 2 }
    minWarmReplicas: 1
    maxReplicas: 20
    horizonS: 10
    stepS: 1
    target: { modelFile: a.onnx }
`;

/** 20/s, a step to 90/s at 100 s, down to 30/s at 220 s (whole requests per second). */
function demandSeries(n: number): Float64Array {
  const d = new Float64Array(n);
  for (let t = 0; t < n; t++) d[t] = t >= 220 ? 30 : t >= 100 ? 90 : 20 + (t % 7);
  return d;
}

describe('baseline policies in the daemon loop', () => {
  const cases = [
    { name: 'hpa', timeScale: 1, sim: POLICIES['hpa']! },
    { name: 'kpa', timeScale: 1, sim: POLICIES['kpa']! },
    { name: 'hpa', timeScale: 7.5, sim: hpaPolicyWith(timeScaledHpaSettings(7.5)) },
    { name: 'kpa', timeScale: 7.5, sim: kpaPolicyWith(timeScaledKpaSettings(7.5)) },
  ] as const;
  for (const { name, timeScale, sim } of cases) {
    it(`${name} (time scale ${timeScale}): the daemon scales through the queue and provider exactly as the simulator's ${name} does on the same demand`, async () => {
      const cfg = config(ONE_MODEL);
      const spec = cfg.models[0]!.spec;
      const simConfig = simConfigForSpec(spec);
      const demand = demandSeries(360);
      const simAlive: number[] = [];
      runSimulation(demand, simConfig, sim, { traceName: 'step', onSecond: (_t, alive) => simAlive.push(alive) });

      const clock = new ManualClock(T0);
      const initial = initialReplicas(demand, simConfig);
      const provider = new InMemoryReplicaProvider({ a: initial }, () => clock.now());
      const perSecond = perSecondFrom(clock, (_m, s) => {
        const i = s - T0 / 1000;
        return i >= 0 && i < demand.length ? demand[i]! : 0;
      });
      const h = harness({
        clock,
        config: cfg,
        provider,
        perSecond,
        deps: { policy: name, baselineTimeScale: timeScale },
      });
      await h.daemon.start();
      const leadMs = simConfig.leadS * 1000;
      const liveAlive: number[] = [];
      for (let t = 0; t < demand.length; t++) {
        // the simulator's pool: a replica requested at second r is ready at r + leadS
        const state = await provider.getState('a');
        const warming = state.replicas.filter((r) => r.phase !== 'ready');
        if (warming.length > 0 && warming.every((r) => r.requestedAtMs + leadMs <= T0 + t * 1000))
          provider.makeReady('a');
        await h.step(t === 0 ? 0 : 1000);
        liveAlive.push((await provider.getState('a')).desired);
      }
      await h.daemon.stop();
      expect(Math.max(...liveAlive)).toBeGreaterThan(initial); // it did scale
      expect(liveAlive).toEqual(simAlive);
      const acted = h.sink.decisions('a').filter((d) => d.acted === 'enqueued');
      expect(acted.length).toBeGreaterThan(1);
      const reason = name === 'hpa' ? 'BaselineHpa' : 'BaselineKpa';
      expect(
        acted.every(
          (d) => d.reasons.length === 1 && d.reasons[0] === reason && d.message.startsWith(`${name} baseline`),
        ),
      ).toBe(true);
      // the scale requests carry the job id as idempotency key and name the baseline
      expect(provider.applied.every((r) => r.reason === reason && r.idempotencyKey.startsWith('scale:a:'))).toBe(true);
      // the planner still ran: the records keep its forecast for the comparison
      expect(h.sink.decisions('a').at(-1)!.forecastP50PerS).not.toBeNull();
    });
  }

  it('time scale: HPA periods and windows divided (whole seconds, at least 1); the scaled HPA releases capacity sooner', () => {
    expect(timeScaledHpaSettings(7.5)).toMatchObject({
      syncPeriodS: 2,
      metricWindowS: 8,
      scaleUpPeriodS: 2,
      scaleDownPeriodS: 2,
      scaleDownStabilizationS: 40,
      tolerance: 0.1,
    });
    expect(timeScaledKpaSettings(7.5)).toMatchObject({
      stableWindowS: 8,
      panicWindowS: 1,
      tickS: 1,
      panicThreshold: 2,
    });
    expect(() => timeScaledHpaSettings(0.5)).toThrow(/time scale.*>= 1.*0.5/);
    const spec = config(ONE_MODEL).models[0]!.spec;
    const demand = demandSeries(360);
    const seconds = (p: ReturnType<typeof hpaPolicyWith>): number[] => {
      const alive: number[] = [];
      runSimulation(demand, simConfigForSpec(spec), p, { traceName: 'step', onSecond: (_t, a) => alive.push(a) });
      return alive;
    };
    const real = seconds(POLICIES['hpa']!);
    const fast = seconds(hpaPolicyWith(timeScaledHpaSettings(7.5)));
    // after the drop at 220 s the real HPA holds its peak through the 300-s window; the scaled one comes down
    expect(Math.min(...fast.slice(300))).toBeLessThan(Math.min(...real.slice(300)));
  });

  it('backfilled history counts as past seconds for the baseline', () => {
    const spec = config(ONE_MODEL).models[0]!.spec;
    const b = new BaselinePolicy('hpa', spec);
    b.backfill(
      [
        { startS: 0, meanPerS: 50, peakPerS: 50 },
        { startS: 10, meanPerS: Number.NaN, peakPerS: Number.NaN },
      ],
      10,
    );
    expect(b.recordedS).toBe(20);
    // within one 15-s sync period the 60-s mean (10 s at 50/s) over 10/s per replica at 70 % asks for more than 1
    expect(b.decide(new Array<number>(15).fill(0), 1, 0).to).toBeGreaterThan(1);
  });
});
