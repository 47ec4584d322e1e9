import { WarmpoolError } from '@warmpool/domain';

/**
 * This daemon's term is over: the leader lock is held by someone else, gone (Redis lost its data), or carries a newer
 * fencing token than the one this daemon was elected with. Whatever it was about to do as leader must not happen.
 */
export class FencedOffError extends WarmpoolError {
  readonly fencingToken: number;
  /** Never retried as is: the current leader acts instead. */
  readonly retryable = false;

  constructor(key: string, holderId: string, fencingToken: number, detail: string) {
    super('E_FENCED_OFF', `leader lock ${key}: ${holderId} (fencing token ${fencingToken}) may not act: ${detail}`);
    this.fencingToken = fencingToken;
  }
}
