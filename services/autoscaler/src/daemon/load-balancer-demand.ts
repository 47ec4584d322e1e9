import { WarmpoolError } from '@warmpool/domain';
import type { PerSecondDemand, PerSecondSeries } from './demand-feed.js';

/** The local load balancer did not answer `/demand` usefully. */
export class DemandSourceError extends WarmpoolError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('E_DEMAND_SOURCE', message, options);
  }
}

/**
 * `GET {url}/demand?model=M&seconds=N` of the local load balancer, as a PerSecondDemand function. `token`: the load
 * balancer's shared token (its `/demand` is behind it).
 */
export function loadBalancerDemand(baseUrl: string, token?: string, timeoutMs = 2000): PerSecondDemand {
  const base = baseUrl.replace(/\/+$/, '');
  return async (model: string, seconds: number): Promise<PerSecondSeries> => {
    const url = `${base}/demand?model=${encodeURIComponent(model)}&seconds=${Math.max(1, Math.min(600, Math.round(seconds)))}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: token ? { authorization: `Bearer ${token}` } : {},
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new DemandSourceError(`GET ${url}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw new DemandSourceError(`GET ${url}: HTTP ${res.status}: ${text.slice(0, 200)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (err) {
      throw new DemandSourceError(`GET ${url}: answer is not JSON: ${text.slice(0, 100)}`, { cause: err });
    }
    const b = body as { startMs?: unknown; counts?: unknown };
    if (
      typeof b.startMs !== 'number' ||
      !Array.isArray(b.counts) ||
      !b.counts.every((c) => typeof c === 'number' && c >= 0)
    ) {
      throw new DemandSourceError(
        `GET ${url}: expected { startMs: number, counts: number[] }, got ${text.slice(0, 100)}`,
      );
    }
    return { startMs: b.startMs, counts: b.counts as number[] };
  };
}
