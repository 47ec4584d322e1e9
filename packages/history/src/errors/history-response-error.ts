import { HistorySourceError } from './history-source-error.js';

/**
 * The source answered, but with something unusable: an error status, a body that is not the expected
 * shape, a query that does not aggregate to one series. Retrying will not help; the configuration or
 * the source must change.
 */
export class HistoryResponseError extends HistorySourceError {
  constructor(source: string, target: string, problem: string, options: { query?: string; cause?: unknown } = {}) {
    super('E_HISTORY_RESPONSE', source, target, problem, options);
  }
}
