import { WarmpoolError } from '@warmpool/domain';

/** Stable codes of AwsProviderError; callers switch on these. */
export const AwsErrorCode = {
  /** Throttled on every attempt the backoff allowed. */
  Throttled: 'E_AWS_THROTTLED',
  /** 5xx, timeouts or connection failures on every attempt. */
  Unavailable: 'E_AWS_UNAVAILABLE',
  /** The Auto Scaling group does not exist. */
  GroupNotFound: 'E_AWS_GROUP_NOT_FOUND',
  /** The API rejected a parameter (ValidationError). */
  InvalidRequest: 'E_AWS_INVALID_REQUEST',
  /** A desired capacity outside the group's [MinSize, MaxSize]. */
  CapacityOutOfRange: 'E_AWS_CAPACITY_OUT_OF_RANGE',
  /** A scaling activity or cooldown blocks the change (ScalingActivityInProgress, ResourceInUse). */
  ScalingInProgress: 'E_AWS_SCALING_IN_PROGRESS',
  /** The caller may not call the action (AccessDenied...). */
  AccessDenied: 'E_AWS_ACCESS_DENIED',
  /** AWS answered something that could not be read (bad XML, wrong shape). */
  BadAnswer: 'E_AWS_BAD_ANSWER',
  /** Any other error answer. */
  RequestFailed: 'E_AWS_REQUEST_FAILED',
  /** No group configured for this model. */
  UnknownModel: 'E_AWS_UNKNOWN_MODEL',
  /** The same idempotency key came back with a different request. */
  IdempotencyConflict: 'E_AWS_IDEMPOTENCY_CONFLICT',
  /** The warm pool is being deleted; it cannot be configured now. */
  WarmPoolDeleting: 'E_AWS_WARM_POOL_DELETING',
  /** The lifecycle hook (or its group) no longer exists. */
  LifecycleHookGone: 'E_AWS_LIFECYCLE_HOOK_GONE',
  /** The hook exists but this instance has no open lifecycle action on it (completed or timed out). */
  LifecycleActionNotFound: 'E_AWS_LIFECYCLE_ACTION_NOT_FOUND',
} as const;
export type AwsErrorCode = (typeof AwsErrorCode)[keyof typeof AwsErrorCode];

export interface AwsErrorContext {
  /** The Auto Scaling group the call was about. */
  readonly group: string;
  /** The API action, e.g. `SetDesiredCapacity`. */
  readonly action?: string;
  /** The AWS error code (`Throttling`, `ValidationError`, ...), when AWS answered one. */
  readonly awsCode?: string;
  /** Attempts made (retries included). */
  readonly attempts?: number;
  readonly cause?: unknown;
}

/** An AWS Auto Scaling failure, naming the group and the action; `cause` is the SDK error. */
export class AwsProviderError extends WarmpoolError {
  declare readonly code: AwsErrorCode;
  readonly group: string;
  readonly action: string | undefined;
  readonly awsCode: string | undefined;
  readonly attempts: number | undefined;

  constructor(code: AwsErrorCode, message: string, context: AwsErrorContext) {
    super(code, message, { cause: context.cause });
    this.group = context.group;
    this.action = context.action;
    this.awsCode = context.awsCode;
    this.attempts = context.attempts;
  }
}
