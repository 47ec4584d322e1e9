/** Registrar error codes that may clear up by themselves (after the adapter's own retries ran out). */
const TRANSIENT_CODES = new Set([
  'E_LB_UNREACHABLE',
  'E_LB_ID_TAKEN',
  'E_AWS_THROTTLED',
  'E_AWS_UNAVAILABLE',
  'E_K8S_THROTTLED',
  'E_K8S_SERVER',
  'E_K8S_TIMEOUT',
  'E_K8S_UNREACHABLE',
]);

/** What went wrong with a registrar call, as the agent reports it. */
export interface RegistrarFailure {
  readonly code: string;
  readonly message: string;
  /** False for a hook that is gone, a pod not found, 403...: retrying does not help. */
  readonly transient: boolean;
}

export function describeRegistrarFailure(error: unknown): RegistrarFailure {
  const code = (error as { code?: unknown }).code;
  const c = typeof code === 'string' && code.startsWith('E_') ? code : 'E_REGISTRAR';
  return {
    code: c,
    message: error instanceof Error ? error.message : String(error),
    transient: TRANSIENT_CODES.has(c),
  };
}
