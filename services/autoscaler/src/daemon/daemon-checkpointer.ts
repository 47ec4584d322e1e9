import type { DaemonCheckpoint } from './checkpoint-store.js';
import type { ModelCheckpoint } from './model-checkpoint.js';
import { loggedError } from './daemon-record.js';
import type { DaemonView } from './daemon-deps.js';

/** A checkpoint older than this is not restored (the measured lead time and the demand have moved on). */
const CHECKPOINT_MAX_AGE_MS = 24 * 3_600_000;

/**
 * The daemon's durable state: the leader writes every model's checkpoint every `checkpointEveryMs` (and on stop); a
 * starting daemon restores what the last leader wrote.
 */
export class DaemonCheckpointer {
  private saving: Promise<void> | undefined;
  private lastSavedMs = 0;

  constructor(private readonly daemon: DaemonView) {}

  async restore(nowMs: number): Promise<void> {
    const d = this.daemon;
    const store = d.deps.checkpoint;
    if (!store) return;
    let cp: DaemonCheckpoint | undefined;
    try {
      cp = await store.load();
    } catch (err) {
      d.write({
        kind: 'error',
        time: d.iso(),
        event: 'checkpoint-failed',
        message: `could not read the checkpoint (${store.name}); starting from the history alone`,
        error: loggedError('checkpoint', err),
      });
      return;
    }
    if (!cp) return;
    const ageMs = nowMs - cp.savedAtMs;
    if (ageMs < -60_000 || ageMs > CHECKPOINT_MAX_AGE_MS) {
      d.write({
        kind: 'daemon',
        time: d.iso(),
        event: 'checkpoint-ignored',
        message: `checkpoint of ${new Date(cp.savedAtMs).toISOString()} from ${store.name} not restored: ${ageMs < 0 ? "saved after this daemon's clock says it is now" : `older than ${CHECKPOINT_MAX_AGE_MS / 3_600_000} h`}`,
      });
      return;
    }
    let steps = 0;
    let samples = 0;
    let models = 0;
    for (const [name, loop] of d.loops) {
      const m = cp.models[name];
      if (!m || typeof m !== 'object') continue;
      const r = loop.restore(m, nowMs);
      steps += r.steps;
      samples += r.leadTimeSamples;
      models++;
    }
    d.write({
      kind: 'daemon',
      time: d.iso(),
      event: 'restored',
      message: `checkpoint of ${new Date(cp.savedAtMs).toISOString()} by ${cp.identity} from ${store.name}: ${models} model(s), ${steps} step(s), ${samples} lead-time sample(s)`,
      detail: { models, steps, leadTimeSamples: samples, savedAtMs: cp.savedAtMs },
    });
  }

  /** The leader writes a checkpoint every `checkpointEveryMs` (one at a time; a slow store never holds a tick up). */
  maybeSave(force = false): Promise<void> {
    const d = this.daemon;
    const store = d.deps.checkpoint;
    if (!store || this.saving || !d.wasLeader || d.dryRun) return this.saving ?? Promise.resolve();
    const everyMs = d.deps.checkpointEveryMs ?? Math.max(10_000, d.config.tickS * 1000);
    if (!force && d.now() - this.lastSavedMs < everyMs) return Promise.resolve();
    this.lastSavedMs = d.now();
    const models: Record<string, ModelCheckpoint> = {};
    for (const [name, loop] of d.loops) models[name] = loop.checkpoint();
    const cp: DaemonCheckpoint = {
      v: 1,
      savedAtMs: d.now(),
      identity: d.deps.leadership.identity,
      fencingToken: d.deps.leadership.fencingToken ?? null,
      models,
    };
    this.saving = store
      .save(cp)
      .catch((err: unknown) =>
        d.write({
          kind: 'error',
          time: d.iso(),
          event: 'checkpoint-failed',
          message: `could not write the checkpoint (${store.name}); the next one tries again`,
          error: loggedError('checkpoint', err),
        }),
      )
      .finally(() => (this.saving = undefined));
    return this.saving;
  }
}
