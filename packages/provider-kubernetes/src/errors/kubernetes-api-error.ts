import { WarmpoolError } from '@warmpool/domain';

/** The Kubernetes object a call was about, for error messages a person can act on. */
export interface KubeObjectRef {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Subresource, e.g. `scale`. */
  readonly subresource?: string;
}

export const KubernetesErrorCode = {
  NotFound: 'E_K8S_NOT_FOUND',
  Conflict: 'E_K8S_CONFLICT',
  Invalid: 'E_K8S_INVALID',
  Forbidden: 'E_K8S_FORBIDDEN',
  Throttled: 'E_K8S_THROTTLED',
  Server: 'E_K8S_SERVER',
  Timeout: 'E_K8S_TIMEOUT',
  Unreachable: 'E_K8S_UNREACHABLE',
  BadResponse: 'E_K8S_BAD_RESPONSE',
} as const;
export type KubernetesErrorCode = (typeof KubernetesErrorCode)[keyof typeof KubernetesErrorCode];

export interface KubernetesApiErrorInit {
  readonly code: KubernetesErrorCode;
  readonly verb: string;
  readonly object: KubeObjectRef;
  readonly statusCode?: number;
  /** `reason` of the API server's Status body (`Conflict`, `TooManyRequests`, ...). */
  readonly reason?: string;
  /** `message` of the Status body, or the transport error's message. */
  readonly detail: string;
  readonly attempts: number;
  readonly retryAfterS?: number;
  readonly cause?: unknown;
}

export function describeObject(o: KubeObjectRef): string {
  return `${o.kind} ${o.namespace}/${o.name}${o.subresource ? `/${o.subresource}` : ''}`;
}

/** A failed call to the Kubernetes API: names the verb and object, keeps the HTTP status and the cause. */
export class KubernetesApiError extends WarmpoolError {
  readonly verb: string;
  readonly object: KubeObjectRef;
  readonly statusCode: number | undefined;
  readonly reason: string | undefined;
  readonly attempts: number;
  readonly retryAfterS: number | undefined;
  /** The server's or transport's own words. */
  readonly detail: string;

  constructor(init: KubernetesApiErrorInit) {
    const status =
      init.statusCode !== undefined ? `HTTP ${init.statusCode}${init.reason ? ` ${init.reason}` : ''}: ` : '';
    const tries = init.attempts > 1 ? ` (after ${init.attempts} attempts)` : '';
    super(init.code, `kubernetes ${init.verb} ${describeObject(init.object)} failed: ${status}${init.detail}${tries}`, {
      cause: init.cause,
    });
    this.verb = init.verb;
    this.object = init.object;
    this.statusCode = init.statusCode;
    this.reason = init.reason;
    this.attempts = init.attempts;
    this.retryAfterS = init.retryAfterS;
    this.detail = init.detail;
  }

  /** Throttling, server errors, timeouts and unreachable servers may pass on their own. */
  get retryable(): boolean {
    return (
      this.code === KubernetesErrorCode.Throttled ||
      this.code === KubernetesErrorCode.Server ||
      this.code === KubernetesErrorCode.Timeout ||
      this.code === KubernetesErrorCode.Unreachable
    );
  }

  withAttempts(attempts: number): KubernetesApiError {
    return new KubernetesApiError({
      code: this.code as KubernetesErrorCode,
      verb: this.verb,
      object: this.object,
      statusCode: this.statusCode,
      reason: this.reason,
      detail: this.detail,
      attempts,
      retryAfterS: this.retryAfterS,
      cause: this.cause,
    });
  }
}
