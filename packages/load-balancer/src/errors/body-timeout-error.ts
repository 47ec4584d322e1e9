import { WarmpoolError } from '@warmpool/domain';

/** A request body that did not arrive in full within the load balancer's body deadline: answered 408. */
export class BodyTimeoutError extends WarmpoolError {
  constructor(message: string) {
    super('E_BODY_TIMEOUT', message);
  }
}
