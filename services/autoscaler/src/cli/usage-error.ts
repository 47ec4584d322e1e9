import { WarmpoolError } from '@warmpool/domain';

/** Bad command line (unknown flag, bad value, missing argument): exit code 2. */
export class UsageError extends WarmpoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_USAGE', message, options);
  }
}
