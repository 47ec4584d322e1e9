import { WarmpoolError } from '@warmpool/domain';

/** More requests than the replica runs at once plus its queue: the caller should retry elsewhere (HTTP 503). */
export class OverloadedError extends WarmpoolError {
  constructor(active: number, queued: number) {
    super('E_OVERLOADED', `replica busy: ${active} running, ${queued} queued (queue full)`);
  }
}
