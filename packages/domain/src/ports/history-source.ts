import type { StepObservation } from '../forecast.js';

/** Reads a model's demand history (Prometheus, Redis counters, CSV). */
export interface HistorySource {
  readonly name: string;
  /** Steps in [fromS, toS) at `stepS`; missing steps come back with meanPerS = NaN. */
  read(model: string, fromS: number, toS: number, stepS: number): Promise<StepObservation[]>;
  close(): Promise<void>;
}
