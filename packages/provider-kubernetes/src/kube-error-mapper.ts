import { ApiException } from '@kubernetes/client-node';
import { KubernetesApiError, KubernetesErrorCode, type KubeObjectRef } from './errors/kubernetes-api-error.js';

interface StatusBody {
  readonly message?: string;
  readonly reason?: string;
  readonly details?: { readonly retryAfterSeconds?: number };
}

function parseStatus(body: unknown): StatusBody | undefined {
  let v: unknown = body;
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return undefined;
    }
  }
  return typeof v === 'object' && v !== null ? (v as StatusBody) : undefined;
}

function codeForStatus(status: number): KubernetesErrorCode {
  if (status === 404) return KubernetesErrorCode.NotFound;
  if (status === 409) return KubernetesErrorCode.Conflict;
  if (status === 400 || status === 415 || status === 422) return KubernetesErrorCode.Invalid;
  if (status === 401 || status === 403) return KubernetesErrorCode.Forbidden;
  if (status === 429) return KubernetesErrorCode.Throttled;
  if (status >= 500) return KubernetesErrorCode.Server;
  return KubernetesErrorCode.BadResponse;
}

function retryAfterOf(
  headers: Readonly<Record<string, string>> | undefined,
  status: StatusBody | undefined,
): number | undefined {
  const raw = headers?.['retry-after'] ?? headers?.['Retry-After'];
  const fromHeader = raw !== undefined ? Number(raw) : NaN;
  if (Number.isFinite(fromHeader) && fromHeader >= 0) return fromHeader;
  const fromBody = status?.details?.retryAfterSeconds;
  return typeof fromBody === 'number' && fromBody >= 0 ? fromBody : undefined;
}

/** Turns whatever the client threw (ApiException, abort, socket error) into a KubernetesApiError. */
export function toKubernetesApiError(
  err: unknown,
  verb: string,
  object: KubeObjectRef,
  attempts: number,
  timeoutMs: number,
): KubernetesApiError {
  if (err instanceof KubernetesApiError) return err;
  if (err instanceof ApiException) {
    const status = parseStatus(err.body);
    const code = codeForStatus(err.code);
    return new KubernetesApiError({
      code,
      verb,
      object,
      statusCode: err.code,
      reason: status?.reason,
      detail:
        status?.message ??
        (typeof err.body === 'string' && err.body.length > 0 ? err.body.slice(0, 300) : 'no Status body'),
      attempts,
      retryAfterS: retryAfterOf(err.headers, status),
      cause: err,
    });
  }
  const e = err as { name?: string; type?: string; code?: string; message?: string } | undefined;
  if (e?.name === 'AbortError' || e?.type === 'aborted' || e?.name === 'TimeoutError') {
    return new KubernetesApiError({
      code: KubernetesErrorCode.Timeout,
      verb,
      object,
      detail: `no answer within ${timeoutMs} ms`,
      attempts,
      cause: err,
    });
  }
  if (e?.type === 'system' || e?.name === 'FetchError' || (typeof e?.code === 'string' && e.code.startsWith('E'))) {
    return new KubernetesApiError({
      code: KubernetesErrorCode.Unreachable,
      verb,
      object,
      detail: e?.message ?? String(err),
      attempts,
      cause: err,
    });
  }
  return new KubernetesApiError({
    code: KubernetesErrorCode.BadResponse,
    verb,
    object,
    detail: e?.message ?? String(err),
    attempts,
    cause: err,
  });
}
