import type { AwsActionUsed } from './aws-actions.js';
import { AwsErrorCode, AwsProviderError } from './errors/aws-provider-error.js';
import type { Backoff } from '@warmpool/domain';

/** One retry about to happen, for logs and the decision log. */
export interface AwsRetryEvent {
  readonly group: string;
  readonly action: AwsActionUsed;
  /** The attempt that failed (1-based). */
  readonly attempt: number;
  readonly delayMs: number;
  readonly awsCode: string | undefined;
  readonly message: string;
}

type Kind = 'throttled' | 'transient' | 'fatal';

interface Classified {
  readonly kind: Kind;
  readonly awsCode: string | undefined;
  readonly statusCode: number | undefined;
  readonly message: string;
}

const THROTTLE_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
]);
const TRANSIENT_CODES = new Set([
  'ResourceContention',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalError',
  'RequestTimeout',
  'TimeoutError',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);

function field(err: unknown, key: string): unknown {
  return err !== null && typeof err === 'object' ? (err as Record<string, unknown>)[key] : undefined;
}

/** Reads an SDK error (ServiceException, TimeoutError, a socket error) into what matters for retrying. */
export function classifyAwsError(err: unknown): Classified {
  const metadata = field(err, '$metadata');
  const statusCode =
    typeof field(metadata, 'httpStatusCode') === 'number' ? (field(metadata, 'httpStatusCode') as number) : undefined;
  const name = typeof field(err, 'name') === 'string' ? (field(err, 'name') as string) : undefined;
  const sysCode = typeof field(err, 'code') === 'string' ? (field(err, 'code') as string) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  const isService = field(err, '$fault') !== undefined;
  // The SDK names modeled errors `<WireCode>Fault` (ScalingActivityInProgressFault); report the wire code.
  const serviceCode = name?.endsWith('Fault') && name.length > 5 ? name.slice(0, -5) : name;
  const awsCode = isService ? serviceCode : (sysCode ?? name);
  if (awsCode !== undefined && THROTTLE_CODES.has(awsCode)) return { kind: 'throttled', awsCode, statusCode, message };
  if (statusCode === 429) return { kind: 'throttled', awsCode, statusCode, message };
  if ((statusCode !== undefined && statusCode >= 500) || (awsCode !== undefined && TRANSIENT_CODES.has(awsCode))) {
    return { kind: 'transient', awsCode, statusCode, message };
  }
  if (
    !isService &&
    ((sysCode !== undefined && NETWORK_CODES.has(sysCode)) ||
      name === 'TimeoutError' ||
      /socket hang up/i.test(message))
  ) {
    return { kind: 'transient', awsCode, statusCode, message };
  }
  return { kind: 'fatal', awsCode, statusCode, message };
}

function fatalCode(c: Classified): AwsErrorCode {
  if (/XML parse error|deserializ|unexpected end of input/i.test(c.message)) return AwsErrorCode.BadAnswer;
  if (c.awsCode === 'ValidationError' && /AutoScalingGroup name not found|not found - /i.test(c.message))
    return AwsErrorCode.GroupNotFound;
  if (c.awsCode === 'ValidationError') return AwsErrorCode.InvalidRequest;
  if (c.awsCode === 'ScalingActivityInProgress' || c.awsCode === 'ResourceInUse') return AwsErrorCode.ScalingInProgress;
  if (
    c.awsCode !== undefined &&
    /AccessDenied|UnauthorizedOperation|InvalidClientTokenId|SignatureDoesNotMatch/.test(c.awsCode)
  ) {
    return AwsErrorCode.AccessDenied;
  }
  return AwsErrorCode.RequestFailed;
}

/**
 * Sends Auto Scaling calls with exponential backoff + jitter on throttling and transient failures
 * (5xx, timeouts, dropped connections), and turns every failure into an AwsProviderError naming
 * the group and the action. The SDK client should have `maxAttempts: 1` so this is the only retry loop.
 */
export class AwsCaller {
  private readonly backoff: Backoff;
  private readonly onRetry: ((event: AwsRetryEvent) => void) | undefined;

  constructor(backoff: Backoff, onRetry?: (event: AwsRetryEvent) => void) {
    this.backoff = backoff;
    this.onRetry = onRetry;
  }

  async call<T>(group: string, action: AwsActionUsed, send: () => Promise<T>): Promise<T> {
    return this.backoff.run(send, (err) => ({ retryable: classifyAwsError(err).kind !== 'fatal' }), {
      onRetry: (err, attempt, delayMs) => {
        const c = classifyAwsError(err);
        this.onRetry?.({ group, action, attempt, delayMs, awsCode: c.awsCode, message: c.message });
      },
      giveUp: (err, attempt) => providerError(err, group, action, attempt),
    });
  }
}

/** The AwsProviderError for a call given up after `attempt` attempts: fatal at once, or still failing. */
function providerError(err: unknown, group: string, action: AwsActionUsed, attempt: number): AwsProviderError {
  const c = classifyAwsError(err);
  const what = `${action} on Auto Scaling group ${group}`;
  if (c.kind === 'fatal') {
    const code = fatalCode(c);
    const text =
      code === AwsErrorCode.GroupNotFound
        ? `Auto Scaling group ${group} not found (${action})`
        : code === AwsErrorCode.BadAnswer
          ? `${what}: the answer could not be read: ${c.message}`
          : `${what} failed: ${c.awsCode ?? 'error'}: ${c.message}`;
    return new AwsProviderError(code, text, { group, action, awsCode: c.awsCode, attempts: attempt, cause: err });
  }
  const code = c.kind === 'throttled' ? AwsErrorCode.Throttled : AwsErrorCode.Unavailable;
  const why = c.kind === 'throttled' ? 'still throttled' : 'still failing';
  return new AwsProviderError(
    code,
    `${what} ${why} after ${attempt} attempt${attempt === 1 ? '' : 's'}: ${c.awsCode ?? 'error'}${c.statusCode ? ` (HTTP ${c.statusCode})` : ''}: ${c.message}`,
    { group, action, awsCode: c.awsCode, attempts: attempt, cause: err },
  );
}
