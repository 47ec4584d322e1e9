import type { ModelConfig, WarmpoolConfig } from '../config/warmpool-config.js';
import type { ModelLoop } from './model-loop.js';

/** What a reload changes: the config to run, and per model of the new config the loop kept (absent: a fresh one). */
export interface ReloadPlan {
  /** The new config, with the keys that need a restart kept at their running values. */
  readonly kept: WarmpoolConfig;
  /** New config order; `loop` is the running loop when the model and the tick are unchanged. */
  readonly models: readonly { readonly model: ModelConfig; readonly loop: ModelLoop | undefined }[];
  readonly added: readonly string[];
  readonly changed: readonly string[];
  readonly removed: readonly string[];
  /** Top-level keys changed that only a restart applies (deduplicated). */
  readonly restartNeeded: readonly string[];
}

/**
 * Works out a reload (no side effects): changes to the provider, history, queue, decision log, leader election, HTTP
 * server or a model's target need a restart (the running ones are kept); unchanged models keep their loop.
 */
export function planReload(
  old: WarmpoolConfig,
  next: WarmpoolConfig,
  loops: ReadonlyMap<string, ModelLoop>,
): ReloadPlan {
  const restartNeeded: string[] = (
    ['provider', 'history', 'queue', 'decisionLog', 'leaderElection', 'http'] as const
  ).filter((k) => JSON.stringify(old[k]) !== JSON.stringify(next[k]));
  const targetChanged = next.models.some((m) => {
    const o = old.models.find((x) => x.spec.name === m.spec.name);
    return !o || JSON.stringify(o.target) !== JSON.stringify(m.target);
  });
  if (targetChanged) restartNeeded.push('provider');
  const kept =
    restartNeeded.length > 0
      ? {
          ...next,
          provider: old.provider,
          history: old.history,
          queue: old.queue,
          decisionLog: old.decisionLog,
          leaderElection: old.leaderElection,
          http: old.http,
        }
      : next;
  const before = new Map(old.models.map((m) => [m.spec.name, JSON.stringify(m)]));
  const added: string[] = [];
  const changed: string[] = [];
  const removed = old.models
    .filter((m) => !next.models.some((n) => n.spec.name === m.spec.name))
    .map((m) => m.spec.name);
  const models = next.models.map((m) => {
    const prev = before.get(m.spec.name);
    const loop = loops.get(m.spec.name);
    if (prev === JSON.stringify(m) && loop && old.tickS === next.tickS) return { model: m, loop };
    (prev === undefined ? added : changed).push(m.spec.name);
    return { model: m, loop: undefined };
  });
  return { kept, models, added, changed, removed, restartNeeded: [...new Set(restartNeeded)] };
}

/** The problems of a rejected config, one line each (validation issues, file problems, or the error's message). */
export function rejectionIssues(err: unknown): string[] {
  return err && typeof err === 'object' && 'issues' in err && Array.isArray((err as { issues: unknown }).issues)
    ? (err as { issues: { path: string; value: unknown; allowed: string }[] }).issues.map(
        (i) => `${i.path}: got ${JSON.stringify(i.value) ?? 'missing'}, allowed: ${i.allowed}`,
      )
    : err && typeof err === 'object' && 'problems' in err && Array.isArray((err as { problems: unknown }).problems)
      ? (err as { problems: string[] }).problems
      : [err instanceof Error ? err.message : String(err)];
}
