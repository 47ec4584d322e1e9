import { WarmpoolError } from './warmpool-error.js';

/** A request-arrival trace that cannot be read: names the file and the 1-based line. */
export class TraceFormatError extends WarmpoolError {
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, problem: string, options?: { cause?: unknown }) {
    super('E_TRACE_FORMAT', `${file}:${line}: ${problem}`, options);
    this.file = file;
    this.line = line;
  }
}
