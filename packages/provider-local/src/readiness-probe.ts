import { request } from 'node:http';

/** What a replica's /readyz says about it. */
export type ProbedStage = 'loading' | 'warming' | 'ready' | 'failed' | 'unreachable';

export interface ProbeAnswer {
  readonly stage: ProbedStage;
  readonly reason?: string;
}

/**
 * Maps the model server's `/readyz` answer (`{ ready, reason, models: { name: { phase, reason } } }`,
 * phases starting|loading|warming|ready|draining|failed) to a provider stage.
 */
export function stageFromReadyz(status: number, body: unknown, model: string): ProbeAnswer {
  const b = (body && typeof body === 'object' ? body : {}) as {
    ready?: unknown;
    reason?: unknown;
    models?: Record<string, { phase?: unknown; reason?: unknown }>;
  };
  const reason = typeof b.reason === 'string' ? b.reason : undefined;
  if (status === 200 && b.ready === true) return { stage: 'ready' };
  const m = b.models?.[model] ?? Object.values(b.models ?? {})[0];
  const phase = typeof m?.phase === 'string' ? m.phase : undefined;
  const modelReason = typeof m?.reason === 'string' ? m.reason : reason;
  if (phase === 'failed') return { stage: 'failed', reason: modelReason ?? 'warm-up failed' };
  if (phase === 'warming') return { stage: 'warming' };
  if (phase === 'ready' && status === 200) return { stage: 'ready' };
  return { stage: 'loading', reason: modelReason };
}

/** GET {url}/v2/health/ready (the KServe v2 health path; the agent answers `/readyz` alike) once; never throws. */
export function probeReadyz(url: string, model: string, timeoutMs: number): Promise<ProbeAnswer> {
  return new Promise((resolve) => {
    const req = request(`${url}/v2/health/ready`, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        let body: unknown;
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          body = undefined;
        }
        resolve(stageFromReadyz(res.statusCode ?? 0, body, model));
      });
      res.on('error', (e) => resolve({ stage: 'unreachable', reason: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`/v2/health/ready timed out after ${timeoutMs} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ stage: 'unreachable', reason: e.code ?? e.message }));
    req.end();
  });
}
