import { MODEL_NAME_PATTERN, ValidationError, type StepObservation, type ValidationIssue } from '@warmpool/domain';

/** Most steps one `read` may ask for (a guard against a unit mistake asking for millions). */
export const MAX_STEPS_PER_READ = 1_000_000;

/** A checked `read(model, fromS, toS, stepS)` request: steps start at fromS + i·stepS for i < count. */
export interface ReadRange {
  readonly model: string;
  readonly fromS: number;
  readonly toS: number;
  readonly stepS: number;
  readonly count: number;
}

/**
 * Checks the arguments of `HistorySource.read` (all problems at once) and returns the step grid.
 * `integerStep` is for sources whose buckets are whole seconds (Redis): the step must be whole seconds.
 */
export function checkReadRange(
  sourceName: string,
  model: string,
  fromS: number,
  toS: number,
  stepS: number,
  opts: { integerStep?: boolean } = {},
): ReadRange {
  const issues: ValidationIssue[] = [];
  const whole = opts.integerStep === true;
  if (typeof model !== 'string' || !MODEL_NAME_PATTERN.test(model)) {
    issues.push({ path: 'model', value: model, allowed: 'a model name: 1-63 characters a-z, 0-9, "-", "_", "."' });
  }
  if (!Number.isFinite(fromS)) issues.push({ path: 'fromS', value: fromS, allowed: 'a finite number (seconds)' });
  if (!Number.isFinite(toS)) issues.push({ path: 'toS', value: toS, allowed: 'a finite number (seconds)' });
  if (!Number.isFinite(stepS) || stepS <= 0 || (whole && !Number.isInteger(stepS))) {
    issues.push({
      path: 'stepS',
      value: stepS,
      allowed: whole ? 'an integer >= 1 (seconds)' : 'a finite number > 0 (seconds)',
    });
  }
  if (issues.length === 0 && toS < fromS) issues.push({ path: 'toS', value: toS, allowed: `>= fromS (${fromS})` });
  const count = issues.length === 0 ? Math.ceil((toS - fromS) / stepS) : 0;
  if (count > MAX_STEPS_PER_READ) {
    issues.push({
      path: 'stepS',
      value: stepS,
      allowed: `a step giving at most ${MAX_STEPS_PER_READ} steps over [fromS, toS) (got ${count})`,
    });
  }
  if (issues.length > 0) throw new ValidationError(issues, `${sourceName} history read`);
  return { model, fromS, toS, stepS, count };
}

/** Start of step `i` of the range. */
export function stepStartS(range: ReadRange, i: number): number {
  return range.fromS + i * range.stepS;
}

/** Builds the observations from per-step mean and peak arrays (NaN mean = gap; peak never below mean). */
export function toObservations(
  range: ReadRange,
  meanPerS: ArrayLike<number>,
  peakPerS: ArrayLike<number>,
): StepObservation[] {
  const out: StepObservation[] = new Array(range.count);
  for (let i = 0; i < range.count; i++) {
    const mean = meanPerS[i]!;
    let peak = peakPerS[i]!;
    if (Number.isNaN(mean)) peak = NaN;
    else if (!(peak >= mean)) peak = mean;
    out[i] = { startS: stepStartS(range, i), meanPerS: mean, peakPerS: peak };
  }
  return out;
}
