import { describe, expect, it } from 'vitest';
import { WarmpoolError, type ScaleJob } from '@warmpool/domain';
import { InProcessScaleQueue } from '@warmpool/queue';
import { actGuardedQueue } from '../src/daemon/act-guarded-queue.js';

const job = (model: string, id: string): ScaleJob => ({
  id,
  runAtMs: 0,
  request: { model, replicas: 2, idempotencyKey: id, reason: 'r', message: 'm' },
});

describe('actGuardedQueue', () => {
  it('refuses jobs the guard refuses (reported once per model until cleared) and passes the rest to the queue', async () => {
    const inner = new InProcessScaleQueue({});
    let conflict = true;
    const events: string[] = [];
    const q = actGuardedQueue(
      inner,
      async (j) => {
        if (conflict && j.request.model === 'llama')
          throw new WarmpoolError('E_AUTOSCALER_CONFLICT', 'HorizontalPodAutoscaler serving/llama also scales it');
      },
      {
        onRefused: (m, e) => events.push(`refused ${m}: ${(e as Error).message}`),
        onCleared: (m) => events.push(`cleared ${m}`),
      },
    );
    await expect(q.enqueue(job('llama', 'a'))).rejects.toMatchObject({ code: 'E_AUTOSCALER_CONFLICT' });
    await expect(q.enqueue(job('llama', 'b'))).rejects.toMatchObject({ code: 'E_AUTOSCALER_CONFLICT' });
    expect(await q.enqueue(job('bert', 'c'))).toMatchObject({ deduplicated: false });
    conflict = false;
    expect(await q.enqueue(job('llama', 'd'))).toMatchObject({ deduplicated: false });
    expect(events).toEqual(['refused llama: HorizontalPodAutoscaler serving/llama also scales it', 'cleared llama']);
    // Everything else is the queue's own, bound to it.
    expect(typeof (q as unknown as { subscribe: unknown }).subscribe).toBe('function');
    const seen: string[] = [];
    q.process(async (j) => void seen.push(j.id));
    await q.close();
  });
});
