import type { Clock } from './clock.js';
import { ConvergenceDetector } from './convergence-detector.js';
import type { WarmupSpec } from './warmup-spec.js';

/** How a round-robin warm ended: requests sent, and whether every item's latency converged. */
export interface RoundsOutcome {
  readonly requests: number;
  readonly converged: boolean;
  /** Items that had not converged when it stopped (their labels). */
  readonly unconverged: readonly string[];
}

/**
 * Sends one request per item per round (e.g. one warm request per target over HTTP), round-robin,
 * dropping each item once its latencies converged (ConvergenceDetector with the spec's windowSize,
 * tolerance and convergenceWindows), at most `maxPassesPerShape` rounds and until `budgetMs` (from
 * now). `send(item, round)` resolves to the request's latency in ms. For warming a path whose
 * speed-up does not show in one round or two (request parsing, serialization, the socket path).
 */
export async function roundsUntilConverged<T>(
  items: readonly T[],
  label: (item: T) => string,
  send: (item: T, round: number) => Promise<number>,
  spec: Pick<WarmupSpec, 'windowSize' | 'tolerance' | 'convergenceWindows' | 'maxPassesPerShape'>,
  clock: Clock,
  budgetMs: number,
): Promise<RoundsOutcome> {
  const detectors = new Map(
    items.map((t) => [t, new ConvergenceDetector(spec.windowSize, spec.tolerance, spec.convergenceWindows)]),
  );
  const deadline = clock.nowMs() + budgetMs;
  let requests = 0;
  for (let round = 0; round < spec.maxPassesPerShape && clock.nowMs() < deadline; round++) {
    const open = items.filter((t) => !detectors.get(t)!.state().converged);
    if (open.length === 0) break;
    for (const t of open) {
      detectors.get(t)!.add(await send(t, round));
      requests += 1;
    }
  }
  const unconverged = items.filter((t) => !detectors.get(t)!.state().converged).map(label);
  return { requests, converged: unconverged.length === 0, unconverged };
}
