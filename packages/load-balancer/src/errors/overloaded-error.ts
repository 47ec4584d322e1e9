import { WarmpoolError } from '@warmpool/domain';

/** The load balancer is at one of its caps (buffered bytes, requests in flight): answer 503 with Retry-After. */
export class OverloadedError extends WarmpoolError {
  constructor(
    message: string,
    readonly retryAfterS = 1,
  ) {
    super('E_LB_OVERLOADED', message);
  }
}
