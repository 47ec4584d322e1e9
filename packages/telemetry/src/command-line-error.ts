/** A bad command line (unknown option, missing value, missing or extra argument): the binaries exit 2 on it. */
export class CommandLineError extends Error {
  readonly code = 'E_USAGE';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CommandLineError';
  }
}
