import { parseModelSpec, type ForecastBand, type ModelSpec } from '@warmpool/domain';
import type { Observation } from '../src/index.js';

export const spec: ModelSpec = parseModelSpec({
  name: 'llm',
  capacityPerReplicaPerS: 10,
  targetUtilization: 0.5,
  leadTime: { provisionS: 30, loadS: 10, warmupS: 5 },
  minWarmReplicas: 1,
  maxReplicas: 50,
  horizonS: 30,
  scaleDownStabilizationS: 60,
});

/** A flat band with an optional level change from `atS` on. */
export function band(
  startS: number,
  stepS: number,
  steps: number,
  level: number,
  change?: { atS: number; level: number },
): ForecastBand {
  const values = Array.from({ length: steps }, (_, i) =>
    change && startS + i * stepS >= change.atS ? change.level : level,
  );
  return {
    startS,
    stepS,
    p50PerS: values,
    upperPerS: values,
    peakUpperPerS: values,
    quantile: 0.95,
    method: 'test',
    historySteps: 100,
  };
}

export const obs = (peakPerS: number, ready: number, warming = 0): Observation => ({
  demandPerS: peakPerS,
  peakPerS,
  readyReplicas: ready,
  warmingReplicas: warming,
});
