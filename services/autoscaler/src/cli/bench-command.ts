import { median } from '@warmpool/domain';
import { parseModelSpec, type Forecaster, type ModelSpec } from '@warmpool/domain';
import { createForecaster } from '@warmpool/forecast';
import { BurstTracker, INITIAL_PLANNER_STATE, plan, type PlannerState } from '@warmpool/planner';
import type { CommandSpec } from '@warmpool/telemetry';
import { numberFlag, parseFlags } from './parse-flags.js';
import { UsageError } from './usage-error.js';

export const BENCH_PLANNER_COMMAND: CommandSpec = {
  name: 'warmpool bench planner',
  summary: 'one planner tick (forecast + plan) over N synthetic models, as the daemon runs it: the median tick',
  options: {
    models: { type: 'string', value: 'N', default: 1000, help: 'models per tick, 1-1000000' },
    ticks: { type: 'string', value: 'N', default: 21, help: 'ticks measured, 1-10000' },
    json: { type: 'boolean', help: 'one JSON object' },
  },
};

interface ModelSlot {
  spec: ModelSpec;
  forecaster: Forecaster;
  bursts: BurstTracker;
  state: PlannerState;
  phase: number;
}

/** Deterministic demand for model i at second t: a daily wave plus a per-model level, no randomness. */
function demandAt(i: number, t: number, phase: number): number {
  return 20 + (i % 17) * 3 + 15 * Math.sin((2 * Math.PI * t) / 86400 + phase) + 5 * Math.sin(t / 37 + i);
}

/**
 * One planner tick over N models, as the daemon runs it: per model, feed the newest 5-s step to its forecaster,
 * forecast the window, and plan. Reports the median tick over repeated ticks (and the plan()-only share).
 */
export function benchPlanner(
  models: number,
  ticks: number,
): { models: number; tickMs: number; planOnlyMs: number; ticks: number } {
  const stepS = 5;
  const slots: ModelSlot[] = [];
  for (let i = 0; i < models; i++) {
    const spec = parseModelSpec({
      name: `model-${i}`,
      capacityPerReplicaPerS: 5 + (i % 7),
      minWarmReplicas: 1,
      maxReplicas: 100,
      horizonS: 30,
    });
    const forecaster = createForecaster('ensemble', { quantile: 0.95, stepS });
    const phase = (i % 24) / 24;
    for (let s = 0; s < 240; s++) {
      const v = demandAt(i, s * stepS, phase);
      forecaster.observe({ startS: s * stepS, meanPerS: v, peakPerS: v * 1.3 });
    }
    slots.push({
      spec,
      forecaster,
      bursts: new BurstTracker(spec.capacityPerReplicaPerS),
      state: INITIAL_PLANNER_STATE,
      phase,
    });
  }
  const horizonSteps = Math.ceil((45 + 30) / stepS) + 2;
  const tickTimes: number[] = [];
  const planTimes: number[] = [];
  for (let k = 0; k < ticks; k++) {
    const nowS = (240 + k) * stepS;
    let planMs = 0;
    const t0 = performance.now();
    for (let i = 0; i < slots.length; i++) {
      const m = slots[i]!;
      const v = demandAt(i, nowS - stepS, m.phase);
      m.forecaster.observe({ startS: nowS - stepS, meanPerS: v, peakPerS: v * 1.3 });
      const band = m.forecaster.forecast(horizonSteps);
      m.bursts.observe(nowS, v * 1.3);
      const burst = m.bursts.outlook(nowS, 45, 14.3, v * 1.3);
      const p0 = performance.now();
      const r = plan(
        m.spec,
        { demandPerS: v, peakPerS: v * 1.3, readyReplicas: 5, warmingReplicas: 0 },
        band,
        m.state,
        nowS,
        undefined,
        undefined,
        burst,
      );
      planMs += performance.now() - p0;
      m.state = r.nextState;
    }
    tickTimes.push(performance.now() - t0);
    planTimes.push(planMs);
  }
  return {
    models,
    tickMs: Number(median(tickTimes).toFixed(3)),
    planOnlyMs: Number(median(planTimes).toFixed(3)),
    ticks,
  };
}

export function bench(argv: readonly string[], out: (s: string) => void): number {
  const [what, ...rest] = argv;
  if (what !== 'planner')
    throw new UsageError(
      `got ${what === undefined ? 'no subcommand' : `"${what}"`}, allowed: planner (warmpool bench planner --help)`,
    );
  const v = parseFlags(BENCH_PLANNER_COMMAND, rest);
  const models = numberFlag(v, 'models', 1000, { min: 1, max: 1_000_000, integer: true });
  const ticks = numberFlag(v, 'ticks', 21, { min: 1, max: 10_000, integer: true });
  const r = benchPlanner(models, ticks);
  out(
    v.json === true
      ? JSON.stringify({ models: r.models, tickMs: r.tickMs, planOnlyMs: r.planOnlyMs, ticks: r.ticks })
      : `planner tick over ${r.models} models: ${r.tickMs} ms median of ${r.ticks} ticks (forecast + plan; plan() alone ${r.planOnlyMs} ms)`,
  );
  return 0;
}
