import { WarmpoolError } from '@warmpool/domain';

export type LocalProviderErrorCode =
  /** close() was called; the provider takes no more calls. */
  | 'E_PROVIDER_CLOSED'
  /** The model has no replica template. */
  | 'E_UNKNOWN_MODEL'
  /** Every port of the template's range is taken. */
  | 'E_NO_FREE_PORT'
  /** The run directory (per-replica logs) cannot be created or written. */
  | 'E_RUN_DIR'
  /** waitFor's condition did not hold in time. */
  | 'E_WAIT_TIMEOUT';

/** A failure of the local process provider, with a stable `code` and the `cause`. */
export class LocalProviderError extends WarmpoolError {
  override readonly code: LocalProviderErrorCode;

  constructor(code: LocalProviderErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.code = code;
  }
}
