/**
 * Point forecasts waiting for their target step, one slot ring per tracked horizon.
 * A forecast made after step `idx` for horizon `k` targets step `idx + k`; it is taken back when
 * that step is observed. Memory: sum of the tracked horizons.
 */
export class PendingForecasts {
  readonly horizons: readonly number[];
  private readonly values: Float64Array[];
  private readonly targets: Float64Array[];

  constructor(horizons: readonly number[]) {
    this.horizons = horizons;
    this.values = horizons.map((k) => new Float64Array(k));
    this.targets = horizons.map((k) => new Float64Array(k).fill(-1));
  }

  /** Stores the forecast for step `idx + horizons[h]`, made after step `idx`. */
  store(h: number, idx: number, value: number): void {
    const k = this.horizons[h]!;
    const slot = idx % k;
    this.values[h]![slot] = value;
    this.targets[h]![slot] = idx + k;
  }

  /** The forecast made `horizons[h]` steps before step `idx` for it, or NaN when none. */
  take(h: number, idx: number): number {
    const k = this.horizons[h]!;
    const slot = idx % k;
    if (this.targets[h]![slot] !== idx) return NaN;
    this.targets[h]![slot] = -1;
    return this.values[h]![slot]!;
  }

  clear(): void {
    for (const t of this.targets) t.fill(-1);
  }
}

/** Horizons (steps) at which errors are tracked; forecasts in between interpolate. */
export const TRACKED_HORIZONS: readonly number[] = [1, 2, 4, 8, 16, 32, 64];

/**
 * Errors at horizon k are scored for one target step in max(1, k / perHorizon): forecasts k
 * steps apart overlap heavily, so sampling them loses little and keeps the per-step work near
 * constant. The band samples densely (8 per horizon) so long horizons fill their windows soon;
 * ensemble weights need fewer samples (4 per horizon).
 */
export function horizonStride(k: number, perHorizon = 8): number {
  return Math.max(1, Math.floor(k / perHorizon));
}

/** Whether the forecast made after step `idx` at tracked horizon `h` is one that gets scored. */
export function isScored(h: number, idx: number, perHorizon = 8): boolean {
  const k = TRACKED_HORIZONS[h]!;
  return (idx + k) % horizonStride(k, perHorizon) === 0;
}

/** Index of the tracked horizon at or below step-ahead `j` (1-based); allocation-free. */
export function trackedLo(j: number): number {
  return j >= 1 && j < POSITION_LO.length && Number.isInteger(j)
    ? POSITION_LO[j]!
    : computePosition(TRACKED_HORIZONS, j).lo;
}

/** Interpolation weight of the tracked horizon above `trackedLo(j)`; allocation-free. */
export function trackedW(j: number): number {
  return j >= 1 && j < POSITION_W.length && Number.isInteger(j)
    ? POSITION_W[j]!
    : computePosition(TRACKED_HORIZONS, j).w;
}

/** Position of step-ahead `j` (1-based) between tracked horizons: lower index and weight of the upper one. */
export function horizonPosition(horizons: readonly number[], j: number): { lo: number; w: number } {
  if (horizons === TRACKED_HORIZONS && j >= 1 && j < POSITION_LO.length && Number.isInteger(j)) {
    return { lo: POSITION_LO[j]!, w: POSITION_W[j]! };
  }
  return computePosition(horizons, j);
}

function computePosition(horizons: readonly number[], j: number): { lo: number; w: number } {
  const n = horizons.length;
  if (j <= horizons[0]!) return { lo: 0, w: 0 };
  if (j >= horizons[n - 1]!) return { lo: n - 1, w: 0 };
  let lo = 0;
  while (lo + 1 < n && horizons[lo + 1]! <= j) lo++;
  if (lo === n - 1) return { lo, w: 0 };
  const a = horizons[lo]!;
  const b = horizons[lo + 1]!;
  return { lo, w: (j - a) / (b - a) };
}

const MAX_TRACKED = TRACKED_HORIZONS[TRACKED_HORIZONS.length - 1]!;
/** Precomputed positions of steps 1..MAX_TRACKED (index 0 unused). */
const POSITION_LO = new Int32Array(MAX_TRACKED + 1);
const POSITION_W = new Float64Array(MAX_TRACKED + 1);
for (let j = 1; j <= MAX_TRACKED; j++) {
  const p = computePosition(TRACKED_HORIZONS, j);
  POSITION_LO[j] = p.lo;
  POSITION_W[j] = p.w;
}
