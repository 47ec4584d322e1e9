import type { ScaleJob, ScaleQueue } from '@warmpool/domain';

/** How many models' refusals are remembered (to report each once); bounded like every map keyed by outside input. */
const MAX_REMEMBERED = 1024;

/**
 * Wraps a scale queue so every job is checked before it is enqueued (`guard` throws to refuse: e.g. the Kubernetes
 * provider's AutoscalerConflictError when an HPA or a KEDA ScaledObject targets the model's workload). A refused
 * job is never enqueued: the model loop records the decision as `error` with the guard's error code, and
 * `onRefused` hears it once per model until the model may act again (`onCleared`). Everything else is the queue's
 * own (a Proxy: methods added to the queue later pass through unchanged).
 */
export function actGuardedQueue<Q extends ScaleQueue>(
  queue: Q,
  guard: (job: ScaleJob) => Promise<void>,
  hooks: {
    readonly onRefused?: (model: string, error: unknown) => void;
    readonly onCleared?: (model: string) => void;
  } = {},
): Q {
  const refused = new Map<string, string>();
  const enqueue = async (job: ScaleJob): ReturnType<ScaleQueue['enqueue']> => {
    const model = job.request.model;
    try {
      await guard(job);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (refused.get(model) !== message) {
        if (!refused.has(model) && refused.size >= MAX_REMEMBERED) refused.delete(refused.keys().next().value!);
        refused.set(model, message);
        hooks.onRefused?.(model, err);
      }
      throw err;
    }
    if (refused.delete(model)) hooks.onCleared?.(model);
    return queue.enqueue(job);
  };
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === 'enqueue') return enqueue;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
