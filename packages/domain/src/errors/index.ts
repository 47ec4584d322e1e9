export { WarmpoolError } from './warmpool-error.js';
export { ValidationError, formatIssue, type ValidationIssue } from './validation-error.js';
export { TraceFormatError } from './trace-format-error.js';
