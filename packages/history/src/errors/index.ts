export { HistorySourceError } from './history-source-error.js';
export { HistoryUnavailableError } from './history-unavailable-error.js';
export { HistoryResponseError } from './history-response-error.js';
