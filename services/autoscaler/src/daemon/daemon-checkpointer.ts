import type { DaemonCheckpoint, TakeCheckpoint } from './checkpoint-format.js';
import { loggedError } from './daemon-record.js';
import type { DaemonView } from './daemon-deps.js';

/** A checkpoint older than this is not restored (the measured lead time and the demand have moved on). */
const CHECKPOINT_MAX_AGE_MS = 24 * 3_600_000;

/**
 * The daemon's durable state: the leader writes every model's checkpoint every `checkpointEveryMs` (and on stop); a
 * starting daemon restores what the last leader wrote, and a follower that takes over adopts its burst histories.
 */
export class DaemonCheckpointer {
  private saving: Promise<void> | undefined;
  private lastSavedMs = 0;

  constructor(private readonly daemon: DaemonView) {}

  /** The last checkpoint when it can be read and is recent enough; undefined otherwise (and the log says why). */
  private async loadRecent(nowMs: number, otherwise: string): Promise<DaemonCheckpoint | undefined> {
    const d = this.daemon;
    const store = d.deps.checkpoint;
    if (!store) return undefined;
    let cp: DaemonCheckpoint | undefined;
    try {
      cp = await store.load();
    } catch (err) {
      d.write({
        kind: 'error',
        time: d.iso(),
        event: 'checkpoint-failed',
        message: `could not read the checkpoint (${store.name}); ${otherwise}`,
        error: loggedError('checkpoint', err),
      });
      return undefined;
    }
    if (!cp) return undefined;
    for (const warning of cp.warnings ?? [])
      d.write({
        kind: 'daemon',
        time: d.iso(),
        event: 'checkpoint-damaged',
        message: `checkpoint ${store.name}: ${warning}`,
      });
    const ageMs = nowMs - cp.savedAtMs;
    if (ageMs < -60_000 || ageMs > CHECKPOINT_MAX_AGE_MS) {
      d.write({
        kind: 'daemon',
        time: d.iso(),
        event: 'checkpoint-ignored',
        message: `checkpoint of ${new Date(cp.savedAtMs).toISOString()} from ${store.name} not restored: ${ageMs < 0 ? "saved after this daemon's clock says it is now" : `older than ${CHECKPOINT_MAX_AGE_MS / 3_600_000} h`}`,
      });
      return undefined;
    }
    return cp;
  }

  /** On start: every model takes its checkpointed steps, lead-time samples and burst history. */
  async restore(nowMs: number): Promise<void> {
    const d = this.daemon;
    const cp = await this.loadRecent(nowMs, 'starting from the history alone');
    if (!cp) return;
    let steps = 0;
    let samples = 0;
    let bursts = 0;
    let models = 0;
    for (const [name, loop] of d.loops) {
      const m = cp.models[name];
      if (!m || typeof m !== 'object') continue;
      const r = loop.restore(m, nowMs);
      steps += r.steps;
      samples += r.leadTimeSamples;
      bursts += r.bursts;
      models++;
    }
    d.write({
      kind: 'daemon',
      time: d.iso(),
      event: 'restored',
      message: `checkpoint of ${new Date(cp.savedAtMs).toISOString()} by ${cp.identity} from ${d.deps.checkpoint!.name}: ${models} model(s), ${steps} step(s), ${samples} lead-time sample(s), ${bursts} burst(s)`,
      detail: { models, steps, leadTimeSamples: samples, bursts, savedAtMs: cp.savedAtMs },
    });
  }

  /**
   * On a takeover (this daemon followed, now it leads): the next leader reads what the last wrote. Each model takes
   * the checkpointed burst history where it remembers more bursts than the model learnt as a follower (see
   * ModelLoop.adoptBursts); the steps and lead times it has already.
   */
  async adoptOnTakeover(nowMs: number): Promise<void> {
    const d = this.daemon;
    const cp = await this.loadRecent(nowMs, 'keeping the burst history this daemon learnt as a follower');
    if (!cp) return;
    const adopted: Record<string, number> = {};
    for (const [name, loop] of d.loops) {
      const m = cp.models[name];
      if (!m || typeof m !== 'object') continue;
      const n = loop.adoptBursts(m.bursts, nowMs);
      if (n > 0) adopted[name] = n;
    }
    const names = Object.keys(adopted);
    if (names.length === 0) return;
    d.write({
      kind: 'daemon',
      time: d.iso(),
      event: 'bursts-adopted',
      message: `took over: the burst history of ${names.join(', ')} from the checkpoint of ${new Date(cp.savedAtMs).toISOString()} by ${cp.identity} (it remembers more bursts than this daemon saw)`,
      detail: { bursts: adopted, savedAtMs: cp.savedAtMs },
    });
  }

  /**
   * The leader writes a checkpoint every `checkpointEveryMs` (one at a time; a slow store never holds a tick up; a
   * save reads and writes model by model, giving the event loop turns, so ticks go on while it runs). The
   * store writes what changed since its last save: it asks for the steps after its cursor per model.
   */
  maybeSave(force = false): Promise<void> {
    const d = this.daemon;
    const store = d.deps.checkpoint;
    // a forced save (on stop) waits for the one in flight, then writes the state as it is now: a save yields to the
    // event loop, so the one in flight may have read the models many ticks ago
    if (force && this.saving) return this.saving.then(() => this.maybeSave(true));
    if (!store || this.saving || !d.wasLeader || d.dryRun) return this.saving ?? Promise.resolve();
    const everyMs = d.deps.checkpointEveryMs ?? Math.max(10_000, d.config.tickS * 1000);
    if (!force && d.now() - this.lastSavedMs < everyMs) return Promise.resolve();
    this.lastSavedMs = d.now();
    const take: TakeCheckpoint = () => ({
      savedAtMs: d.now(),
      identity: d.deps.leadership.identity,
      fencingToken: d.deps.leadership.fencingToken ?? null,
      names: [...d.loops.keys()],
      // a model removed by a config reload while the save runs is left out
      model: (name, stepsAfterS) => d.loops.get(name)?.checkpoint(stepsAfterS),
    });
    this.saving = store
      .save(take)
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
