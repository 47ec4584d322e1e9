/**
 * The chaos soak's demand: deterministic per model and second, the same in every daemon. Most models are idle (the
 * long tail); one in `hotEvery` follows a wave that needs 0 to 4 replicas at 10 requests/s each.
 */
export const CAPACITY_PER_REPLICA_PER_S = 10;

export function demandPerS(modelIndex, second, { hotEvery = 50, periodS = 300 } = {}) {
  if (modelIndex % hotEvery !== 0) return 0;
  const phase = (modelIndex / hotEvery) * 1.7;
  const wave = 0.5 + 0.5 * Math.sin((2 * Math.PI * second) / periodS + phase);
  return Math.round(38 * wave);
}

export function modelName(i) {
  return `m${String(i).padStart(4, '0')}`;
}
