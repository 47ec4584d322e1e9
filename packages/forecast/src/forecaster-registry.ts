import { ValidationError } from '@warmpool/domain';
import type { BandedForecaster } from './banded-forecaster.js';
import { BurstDetector } from './burst-detector.js';
import { EnsembleForecaster } from './ensemble-forecaster.js';
import { resolveForecasterOptions, type ForecasterOptions } from './forecaster-options.js';
import { HoltWintersForecaster } from './holt-winters-forecaster.js';
import { ReactiveForecaster } from './reactive-forecaster.js';
import { SeasonalNaiveForecaster } from './seasonal-naive-forecaster.js';

export const FORECASTER_NAMES = ['ensemble', 'holt-winters', 'burst', 'reactive', 'seasonal-naive'] as const;
export type ForecasterName = (typeof FORECASTER_NAMES)[number];

export function isForecasterName(name: unknown): name is ForecasterName {
  return typeof name === 'string' && (FORECASTER_NAMES as readonly string[]).includes(name);
}

/**
 * Builds a forecaster by name. Options are validated (unknown keys, ranges) first.
 * @throws ValidationError for an unknown name or bad options, naming key, value and what is allowed.
 */
export function createForecaster(name: ForecasterName | string, options: ForecasterOptions = {}): BandedForecaster {
  if (!isForecasterName(name)) {
    throw new ValidationError(
      [{ path: 'forecaster', value: name, allowed: `one of ${FORECASTER_NAMES.join(', ')}` }],
      'forecaster choice',
    );
  }
  resolveForecasterOptions(options);
  switch (name) {
    case 'ensemble':
      return new EnsembleForecaster(options);
    case 'holt-winters':
      return new HoltWintersForecaster(options);
    case 'burst':
      return new BurstDetector(options);
    case 'reactive':
      return new ReactiveForecaster(options);
    case 'seasonal-naive':
      return new SeasonalNaiveForecaster(options);
  }
}
