/** Base of every error warmpool throws on purpose: a stable `code` a caller can switch on, and the `cause`. */
export class WarmpoolError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
