/** The `reason` the Kubernetes API server puts in a Status body for each HTTP code. */
const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export interface KubeStatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly retryAfterSeconds?: number;
  readonly causes?: readonly { reason: string; message: string; field: string }[];
}

/** A metav1.Status object, as the API server writes it for every error. */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: KubeStatusDetails;
  readonly code: number;
}

export function kubeStatus(code: number, message: string, details?: KubeStatusDetails, reason?: string): KubeStatus {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reason ?? REASONS[code] ?? 'Unknown',
    ...(details ? { details } : {}),
    code,
  };
}

/** An error a handler throws to answer with a Status body. */
export class KubeStatusError extends Error {
  readonly status: KubeStatus;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: KubeStatus, headers: Readonly<Record<string, string>> = {}) {
    super(status.message);
    this.name = 'KubeStatusError';
    this.status = status;
    this.headers = headers;
  }

  static notFound(resource: string, name: string, group = ''): KubeStatusError {
    const full = group ? `${resource}.${group}` : resource;
    return new KubeStatusError(kubeStatus(404, `${full} "${name}" not found`, { name, group, kind: resource }));
  }

  static conflict(resource: string, name: string, group = ''): KubeStatusError {
    const full = group ? `${resource}.${group}` : resource;
    return new KubeStatusError(
      kubeStatus(
        409,
        `Operation cannot be fulfilled on ${full} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, group, kind: resource },
      ),
    );
  }

  static alreadyExists(resource: string, name: string, group = ''): KubeStatusError {
    const full = group ? `${resource}.${group}` : resource;
    return new KubeStatusError(
      kubeStatus(409, `${full} "${name}" already exists`, { name, group, kind: resource }, 'AlreadyExists'),
    );
  }

  static invalid(kind: string, name: string, field: string, message: string): KubeStatusError {
    return new KubeStatusError(
      kubeStatus(422, `${kind} "${name}" is invalid: ${field}: ${message}`, {
        name,
        kind,
        causes: [{ reason: 'FieldValueInvalid', message, field }],
      }),
    );
  }

  static badRequest(message: string): KubeStatusError {
    return new KubeStatusError(kubeStatus(400, message));
  }
}
