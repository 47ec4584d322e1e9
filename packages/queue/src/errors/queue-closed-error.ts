import { WarmpoolError } from '@warmpool/domain';

/** An operation on a scale queue (or another Redis-backed part) after `close()`. */
export class QueueClosedError extends WarmpoolError {
  constructor(what: string, operation: string) {
    super('E_QUEUE_CLOSED', `${what}: cannot ${operation}: it is closed`);
  }
}
