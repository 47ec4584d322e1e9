import { WarmpoolError } from '@warmpool/domain';

export type LoadGeneratorErrorCode = 'E_ALREADY_RUN';

/** A misuse of the load generator, with a stable `code`. Bad options are ValidationError; a bad trace TraceFormatError. */
export class LoadGeneratorError extends WarmpoolError {
  override readonly code: LoadGeneratorErrorCode;

  constructor(code: LoadGeneratorErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.code = code;
  }
}
