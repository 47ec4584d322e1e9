import { WarmpoolError } from '@warmpool/domain';

export type WarmupErrorCode = 'E_WARMUP_TIMEOUT' | 'E_WARMUP_HEADROOM' | 'E_WARMUP_SPEC' | 'E_WARMUP_RUN';

/** Warm-up could not make the replica ready (budget spent under the `fail` policy, no memory headroom, ...). */
export class WarmupError extends WarmpoolError {
  constructor(code: WarmupErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
