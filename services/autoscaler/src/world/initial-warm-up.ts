import { WarmpoolError, type ReplicaProvider } from '@warmpool/domain';
import type { Daemon } from '../daemon/daemon.js';

/** Thrown by the waits before the replay when the world is stopped (SIGINT, stop()). */
export class StopSignal extends Error {}

export interface InitialWarmUpOptions {
  /** Per attempt: the replicas asked for must be ready within this (a replacement starts a fresh budget). */
  readonly timeoutMs: number;
  /** Replicas replaced at most (then the start fails, naming why they failed). Default 3. */
  readonly maxReplacements?: number;
  /** Unique per world: the replacement scale requests' idempotency keys are built from it. */
  readonly keyPrefix: string;
  readonly stopped: () => string | undefined;
  /** Told about each replacement. */
  readonly onReplace?: (replicaId: string, reason: string) => void;
  readonly pollMs?: number;
}

/**
 * Resolves once every replica asked for is ready. A replica that fails on the way (its process dies during warm-up)
 * is replaced, as the daemon does later, at most `maxReplacements` times; throws StopSignal as soon as `stopped()`
 * says so, and E_WORLD_START past the time budget or the replacements.
 */
export async function waitInitialWarmUp(
  provider: ReplicaProvider,
  model: string,
  o: InitialWarmUpOptions,
): Promise<void> {
  const maxReplacements = o.maxReplacements ?? 3;
  let replacements = 0;
  const reasons: string[] = [];
  let deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const why = o.stopped();
    if (why) throw new StopSignal(why);
    const s = await provider.getState(model);
    const failed = s.replicas.filter((r) => r.phase === 'failed');
    if (failed.length > 0) {
      if (replacements + failed.length > maxReplacements) {
        const all = [...reasons, ...failed.map((r) => `${r.id}: ${r.reason ?? 'failed'}`)];
        throw new WarmpoolError(
          'E_WORLD_START',
          `the first replica(s) of ${model} kept failing in warm-up (${all.length} failed, ${maxReplacements} replaced): ${all.join('; ')}`,
        );
      }
      replacements += failed.length;
      for (const r of failed) {
        reasons.push(`${r.id}: ${r.reason ?? 'failed'}`);
        o.onReplace?.(r.id, r.reason ?? 'failed');
      }
      await provider.scale({
        model,
        replicas: s.desired,
        idempotencyKey: `${o.keyPrefix}-replace-${replacements}`,
        reason: 'ReplicaFailed',
        message: `replacing ${failed.length} replica(s) that failed in warm-up`,
        replace: failed.map((r) => ({ id: r.id, reason: r.reason ?? 'failed' })),
      });
      deadline = Date.now() + o.timeoutMs;
      continue;
    }
    const live = s.replicas.filter((r) => r.phase !== 'draining');
    if (live.length === s.desired && live.every((r) => r.phase === 'ready')) return;
    if (Date.now() >= deadline) {
      throw new WarmpoolError(
        'E_WORLD_START',
        `the first ${s.desired} replica(s) of ${model} were not ready within ${o.timeoutMs} ms: ${s.replicas.map((r) => `${r.id} ${r.phase}${r.reason ? ` (${r.reason})` : ''}`).join(', ') || 'none started'}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, o.pollMs ?? 100));
  }
}

/** Resolves when the daemon's first tick has run, when `stopped` resolves, or after `timeoutMs`, whichever is first. */
export async function waitFirstTick(daemon: Daemon, timeoutMs: number, stopped: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  try {
    await Promise.race([daemon.firstTick, stopped, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
