import { WarmpoolError } from '@warmpool/domain';

export type RegistrarErrorCode = 'E_LB_UNREACHABLE' | 'E_LB_REJECTED' | 'E_LB_ID_TAKEN';

/** Registration with the load balancer failed; names the load balancer URL and the last problem. */
export class RegistrarError extends WarmpoolError {
  readonly lbUrl: string;

  constructor(code: RegistrarErrorCode, lbUrl: string, message: string, options?: { cause?: unknown }) {
    super(code, `load balancer ${lbUrl}: ${message}`, options);
    this.lbUrl = lbUrl;
  }
}
