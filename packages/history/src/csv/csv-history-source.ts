import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseCountCsv, type CountSeries, type HistorySource, type StepObservation } from '@warmpool/domain';
import { HistoryUnavailableError } from '../errors/history-unavailable-error.js';
import { checkReadRange, toObservations } from '../read-range.js';
import { binsToSteps } from './bins-to-steps.js';

export interface CsvHistorySourceOptions {
  /** Directory holding `<model>.csv` per model; a model without a file has no history (NaN steps). */
  readonly directory?: string;
  /** Explicit file per model (wins over `directory`); a listed file that is missing is an error. */
  readonly files?: Readonly<Record<string, string>>;
  /** Wall time (epoch seconds) of trace second 0 (default 0: t is already epoch seconds). */
  readonly epochOffsetS?: number;
}

interface CachedSeries {
  readonly mtimeMs: number;
  readonly size: number;
  readonly series: CountSeries;
}

/**
 * Demand history from per-model CSV files in the trace format (`t,count`, evenly spaced bins), trace
 * second t at wall time `epochOffsetS + t`. Files are parsed once and re-read when they change.
 *
 * Degradation: steps outside the file, and models with no file in `directory`, are gaps (NaN) and never
 * throw. `read` throws TraceFormatError (E_TRACE_FORMAT, naming file and line) for a malformed file,
 * HistoryUnavailableError (E_HISTORY_UNAVAILABLE) when a file listed in `files` is missing or any file
 * cannot be read, and ValidationError for bad arguments.
 */
export class CsvHistorySource implements HistorySource {
  readonly name = 'csv';
  private readonly opts: CsvHistorySourceOptions;
  private readonly cache = new Map<string, CachedSeries>();

  constructor(opts: CsvHistorySourceOptions) {
    this.opts = opts;
  }

  async read(model: string, fromS: number, toS: number, stepS: number): Promise<StepObservation[]> {
    const range = checkReadRange(this.name, model, fromS, toS, stepS);
    const series = await this.load(model);
    if (series === undefined) {
      const gaps = new Float64Array(range.count).fill(NaN);
      return toObservations(range, gaps, gaps);
    }
    return binsToSteps(series, this.opts.epochOffsetS ?? 0, range);
  }

  async close(): Promise<void> {
    this.cache.clear();
  }

  /** The file's series, or undefined when the model has no file in `directory`. */
  private async load(model: string): Promise<CountSeries | undefined> {
    const listed = this.opts.files?.[model];
    const file = listed ?? (this.opts.directory === undefined ? undefined : join(this.opts.directory, `${model}.csv`));
    if (file === undefined) return undefined;
    let info: { mtimeMs: number; size: number };
    try {
      info = await stat(file);
    } catch (err) {
      if (listed === undefined && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new HistoryUnavailableError(
        'csv',
        file,
        `cannot read the history file of ${model}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const hit = this.cache.get(file);
    if (hit && hit.mtimeMs === info.mtimeMs && hit.size === info.size) return hit.series;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new HistoryUnavailableError(
        'csv',
        file,
        `cannot read the history file of ${model}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    const series = parseCountCsv(text, file);
    this.cache.set(file, { mtimeMs: info.mtimeMs, size: info.size, series });
    return series;
  }
}
