import { Observable, PatchStrategy, type ConfigurationOptions, type RequestContext, type ResponseContext } from '@kubernetes/client-node';
import type { KubeObjectRef, KubernetesApiError } from './errors/kubernetes-api-error.js';
import { toKubernetesApiError } from './kube-error-mapper.js';
import { backoffDelayMs, type RetryEnv, type RetryPolicy } from './retry-policy.js';

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
  private readonly env: RetryEnv;
  private readonly hooks: CallHooks;

  constructor(policy: RetryPolicy, env: RetryEnv, hooks: CallHooks = {}) {
    this.policy = policy;
    this.env = env;
    this.hooks = hooks;
  }

  get retryPolicy(): RetryPolicy {
    return this.policy;
  }

  /** `mergePatch`: send a PATCH as a JSON merge patch; `strategicMergePatch`: as a strategic merge patch (lists merged by key). */
  async call<T>(verb: string, object: KubeObjectRef, fn: (options: CallOptions) => Promise<T>, opts: { mergePatch?: boolean; strategicMergePatch?: boolean } = {}): Promise<T> {
    const patch = opts.strategicMergePatch === true ? PatchStrategy.StrategicMergePatch : opts.mergePatch === true ? PatchStrategy.MergePatch : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(this.options(patch));
      } catch (err) {
        const error = toKubernetesApiError(err, verb, object, attempt, this.policy.requestTimeoutMs).withAttempts(attempt);
        if (!error.retryable || attempt >= this.policy.maxAttempts) throw error;
        const delayMs = backoffDelayMs(this.policy, attempt, this.env.random(), error.retryAfterS);
        this.hooks.onRetry?.(error, attempt, delayMs);
        await this.env.sleep(delayMs);
      }
    }
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
