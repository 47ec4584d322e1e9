import {
  Observable,
  PatchStrategy,
  type ConfigurationOptions,
  type RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node';
import type { KubeObjectRef, KubernetesApiError } from './errors/kubernetes-api-error.js';
import { toKubernetesApiError } from './kube-error-mapper.js';
import { Backoff } from '@warmpool/domain';
import type { RetryEnv, RetryPolicy } from './retry-policy.js';

/** Per-request options handed to a generated client method. */
export type CallOptions = ConfigurationOptions;

export interface CallHooks {
  /** Called before each retry sleep; for logs and tests. */
  readonly onRetry?: (error: KubernetesApiError, attempt: number, delayMs: number) => void;
}

/**
 * Runs one API call with a per-request timeout (an AbortSignal set by middleware), maps every
 * failure to a KubernetesApiError naming the verb and object, and retries throttling (429,
 * Retry-After honoured), 5xx, timeouts and unreachable servers with backoff. A 409 Conflict is not
 * retried here: the caller must re-read the object first.
 */
export class KubeCaller {
  private readonly policy: RetryPolicy;
  private readonly backoff: Backoff;
  private readonly hooks: CallHooks;

  constructor(policy: RetryPolicy, env: RetryEnv, hooks: CallHooks = {}) {
    this.policy = policy;
    const { maxAttempts, baseDelayMs, maxDelayMs, maxRetryAfterMs } = policy;
    this.backoff = new Backoff(
      { maxAttempts, baseDelayMs, maxDelayMs, maxRetryAfterMs, random: env.random, sleep: env.sleep },
      'Kubernetes retry options',
    );
    this.hooks = hooks;
  }

  get retryPolicy(): RetryPolicy {
    return this.policy;
  }

  /** `mergePatch`: send a PATCH as a JSON merge patch; `strategicMergePatch`: as a strategic merge patch (lists merged by key). */
  async call<T>(
    verb: string,
    object: KubeObjectRef,
    fn: (options: CallOptions) => Promise<T>,
    opts: { mergePatch?: boolean; strategicMergePatch?: boolean } = {},
  ): Promise<T> {
    const patch =
      opts.strategicMergePatch === true
        ? PatchStrategy.StrategicMergePatch
        : opts.mergePatch === true
          ? PatchStrategy.MergePatch
          : undefined;
    return this.backoff.run(
      async (attempt) => {
        try {
          return await fn(this.options(patch));
        } catch (err) {
          throw toKubernetesApiError(err, verb, object, attempt, this.policy.requestTimeoutMs).withAttempts(attempt);
        }
      },
      (error) => {
        const e = error as KubernetesApiError;
        return {
          retryable: e.retryable,
          ...(e.retryAfterS !== undefined ? { retryAfterMs: e.retryAfterS * 1000 } : {}),
        };
      },
      { onRetry: (error, attempt, delayMs) => this.hooks.onRetry?.(error as KubernetesApiError, attempt, delayMs) },
    );
  }

  private options(patch: PatchStrategy | undefined): CallOptions {
    const timeoutMs = this.policy.requestTimeoutMs;
    const middleware = [
      {
        pre: (ctx: RequestContext): Observable<RequestContext> => {
          ctx.setSignal(AbortSignal.timeout(timeoutMs));
          if (patch !== undefined) ctx.setHeaderParam('Content-Type', patch);
          return new Observable(Promise.resolve(ctx));
        },
        post: (res: ResponseContext): Observable<ResponseContext> => new Observable(Promise.resolve(res)),
      },
    ];
    return { middleware, middlewareMergeStrategy: 'append' } as CallOptions;
  }
}
