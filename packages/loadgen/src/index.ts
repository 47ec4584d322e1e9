export { TraceLoadGenerator, type LoadRunResult, type StopCause } from './trace-load-generator.js';
export { resolveLoadOptions, type LoadGeneratorOptions, type ResolvedLoadOptions } from './load-generator-options.js';
export { parseTraceCsv, readTraceCsv, sliceTrace, type LoadTrace } from './trace-csv.js';
export {
  buildArrivals,
  scaleForPeak,
  type Arrival,
  type ArrivalProcess,
  type ScheduleOptions,
} from './arrival-schedule.js';
export { parseShapes, requestBody, shapeLabel, type RequestShape } from './request-shape.js';
export { summarizeLoad, countColdHits, isOk, type LoadSummary, type WindowSummary } from './load-summary.js';
export type { RequestRecord } from './request-record.js';
export { SeededRandom } from '@warmpool/domain';
export { LoadGeneratorError, type LoadGeneratorErrorCode } from './errors/load-generator-error.js';
