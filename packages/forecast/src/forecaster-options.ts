import { FieldReader, ValidationError } from '@warmpool/domain';

/** How a residual is normalized before its quantile is taken (and scaled back for the band). */
export type ResidualScale = 'sqrt' | 'level' | 'none';

/** User options shared by every forecaster. All optional; units in names. */
export interface ForecasterOptions {
  /** Upper quantile of the band, in (0.5, 0.999]. Default 0.95. */
  readonly quantile?: number;
  /** Step width in seconds. Inferred from the first two observations when left out. */
  readonly stepS?: number;
  /** Recent residuals kept per horizon for the conformal band. Default 256 (at least 2 / (1 - quantile)). */
  readonly residualWindow?: number;
  /**
   * Normalization of residuals: `sqrt` (Poisson-like noise, default) divides by sqrt(p50 + one
   * request per step), `level` by the p50 itself (multiplicative noise), `none` keeps them raw.
   */
  readonly residualScale?: ResidualScale;
  /** Headroom over p50 used while too few residuals exist for the quantile. Default 0.3 (30 %). */
  readonly headroomFraction?: number;
  /**
   * Adaptive conformal step: after each scored forecast the working quantile level moves by
   * rate * (miss - (1 - quantile)). Default 0.005; 0 keeps the plain conformal quantile.
   */
  readonly adaptRate?: number;
  /** Ensemble: steps of history before it trusts its members (before: reactive + headroom). Default 36. */
  readonly minHistorySteps?: number;
  /**
   * Ensemble: include the seasonal-naive forecaster as a member. `auto` (default): only when
   * `stepS` is given and a day is at most 1 440 steps (>= 60 s steps for a real day; it keeps a day
   * of steps: cheap at minutes, 17,280 values at 5 s, where it did not help on the shared traces).
   */
  readonly ensembleSeasonalNaive?: boolean | 'auto';
  /** Level smoothing half-life of the Holt-Winters level, seconds. Default max(4 steps, 120 s). */
  readonly levelHalfLifeS?: number;
  /**
   * Length of the daily season, seconds (the weekly one is 7 of them). Default 86 400. A replay that compresses
   * time `speed` times (the local world, the end-to-end benchmark) sets 86 400 / speed so the seasons still line up.
   */
  readonly dayS?: number;
}

/** Options after validation and defaulting. */
export interface ResolvedForecasterOptions {
  readonly quantile: number;
  readonly stepS: number | undefined;
  readonly residualWindow: number;
  readonly residualScale: ResidualScale;
  readonly headroomFraction: number;
  readonly adaptRate: number;
  readonly minHistorySteps: number;
  readonly ensembleSeasonalNaive: boolean | 'auto';
  readonly levelHalfLifeS: number | undefined;
  readonly dayS: number;
}

export const FORECASTER_OPTION_KEYS = [
  'quantile',
  'stepS',
  'residualWindow',
  'residualScale',
  'headroomFraction',
  'adaptRate',
  'minHistorySteps',
  'ensembleSeasonalNaive',
  'levelHalfLifeS',
  'dayS',
] as const;

/** A day, seconds: the default daily season. */
export const DAY_S = 86_400;

export const RESIDUAL_SCALES: readonly ResidualScale[] = ['sqrt', 'level', 'none'];

/**
 * Validates untyped options (e.g. from YAML) and fills defaults.
 * @throws ValidationError naming every bad key, its value and what is allowed.
 */
export function resolveForecasterOptions(
  input: unknown = {},
  source = 'forecaster options',
): ResolvedForecasterOptions {
  const r = new FieldReader(input ?? {});
  r.rejectUnknown(FORECASTER_OPTION_KEYS);
  const quantile = r.number('quantile', { default: 0.95, min: 0.5, max: 0.999, exclusiveMin: true });
  const stepS = r.has('stepS') ? r.number('stepS', { min: 0, max: 86_400, exclusiveMin: true }) : undefined;
  const residualWindow = r.number('residualWindow', { default: 256, min: 16, max: 100_000, integer: true });
  const residualScale = r.oneOf('residualScale', RESIDUAL_SCALES, 'sqrt');
  const headroomFraction = r.number('headroomFraction', { default: 0.3, min: 0, max: 10 });
  const adaptRate = r.number('adaptRate', { default: 0.005, min: 0, max: 0.1 });
  const minHistorySteps = r.number('minHistorySteps', { default: 36, min: 0, max: 1_000_000, integer: true });
  const rawSn = r.raw('ensembleSeasonalNaive');
  let ensembleSeasonalNaive: boolean | 'auto' = 'auto';
  if (typeof rawSn === 'boolean') ensembleSeasonalNaive = rawSn;
  else if (rawSn !== undefined && rawSn !== 'auto') {
    r.issues.push({ path: r.path('ensembleSeasonalNaive'), value: rawSn, allowed: 'true, false or "auto"' });
  }
  const levelHalfLifeS = r.has('levelHalfLifeS')
    ? r.number('levelHalfLifeS', { min: 0, max: 30 * 86_400, exclusiveMin: true })
    : undefined;
  const dayS = r.number('dayS', { default: DAY_S, min: 1, max: 7 * DAY_S });
  if (stepS !== undefined && r.issues.length === 0 && stepS > dayS / 2) {
    r.issues.push({ path: r.path('dayS'), value: dayS, allowed: `at least 2 steps (stepS ${stepS})` });
  }
  if (r.issues.length > 0) throw new ValidationError(r.issues, source);
  return {
    quantile,
    stepS,
    residualWindow,
    residualScale,
    headroomFraction,
    adaptRate,
    minHistorySteps,
    ensembleSeasonalNaive,
    levelHalfLifeS,
    dayS,
  };
}
