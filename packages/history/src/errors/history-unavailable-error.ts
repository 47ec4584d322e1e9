import { HistorySourceError } from './history-source-error.js';

/** The source could not be reached or did not answer in time (network, timeout, 5xx after retries, I/O). */
export class HistoryUnavailableError extends HistorySourceError {
  constructor(source: string, target: string, problem: string, options: { query?: string; cause?: unknown } = {}) {
    super('E_HISTORY_UNAVAILABLE', source, target, problem, options);
  }
}
