import type { StepObservation } from '@warmpool/domain';
import { BurstHistoryError, MIN_BURSTS, readBurstHistory, type BurstHistory } from '@warmpool/planner';
import { loggedError, type DaemonLogRecord } from './daemon-record.js';
import type { LeadTimeSample } from './lead-time-estimator.js';

/**
 * What a model loop keeps across a restart or a takeover: the demand steps its forecaster saw, the lead times measured,
 * and the burst history its planner learnt from the ticks.
 */
export interface ModelCheckpoint {
  /** Completed demand steps, oldest first (bounded: the newest `MAX_CHECKPOINT_STEPS`). */
  readonly steps: readonly StepObservation[];
  readonly leadTimeSamples: readonly LeadTimeSample[];
  /**
   * The planner's burst tracker (peaks, lengths and gaps of the last 64 bursts, the quiet level): learnt per tick, so
   * the steps cannot rebuild it. Absent in checkpoints written before it was kept.
   */
  readonly bursts?: BurstHistory;
}

/** Steps kept per model (the stores write only the steps added since their last save). */
export const MAX_CHECKPOINT_STEPS = 2048;

/**
 * The newest completed steps a model's forecaster was fed (backfill and live), bounded. The forecasters are
 * deterministic given their input, so feeding these again in order rebuilds the same forecaster state (up to the 4 significant digits the stores keep of a rate). Held as plain
 * numbers in one ring (24 bytes a step, grown by doubling up to `max`), not as an object per step (about 66 bytes with
 * its boxed numbers, which grew every step for hours: ~135 MB at 2,048 steps for 1,000 models, now ~49 MB).
 */
export class StepMemory {
  /** startS, meanPerS, peakPerS per step: a ring of `data.length / 3` steps, the oldest at `head`. */
  private data = new Float64Array(0);
  private head = 0;
  private count = 0;

  constructor(private readonly max = MAX_CHECKPOINT_STEPS) {}

  add(s: StepObservation): void {
    const last = this.lastStartS;
    if (last !== undefined && s.startS <= last) return;
    let capacity = this.data.length / 3;
    if (this.count === capacity && capacity < this.max) {
      const grown = new Float64Array(Math.min(this.max, Math.max(16, capacity * 2)) * 3);
      for (let i = 0; i < this.count; i++) {
        const from = ((this.head + i) % capacity) * 3;
        grown.set(this.data.subarray(from, from + 3), i * 3);
      }
      this.data = grown;
      this.head = 0;
      capacity = grown.length / 3;
    }
    let at: number;
    if (this.count < capacity) at = (this.head + this.count++) % capacity;
    else {
      at = this.head; // full at max: the oldest goes
      this.head = (this.head + 1) % capacity;
    }
    this.data[at * 3] = s.startS;
    this.data[at * 3 + 1] = s.meanPerS;
    this.data[at * 3 + 2] = s.peakPerS;
  }

  get lastStartS(): number | undefined {
    if (this.count === 0) return undefined;
    return this.data[((this.head + this.count - 1) % (this.data.length / 3)) * 3];
  }

  /** The steps, oldest first (new objects, for a checkpoint). */
  list(): StepObservation[] {
    return this.listAfter(Number.NEGATIVE_INFINITY);
  }

  /** The steps whose startS is after `afterS`, oldest first (what an incremental checkpoint adds). */
  listAfter(afterS: number): StepObservation[] {
    const capacity = this.data.length / 3;
    const out: StepObservation[] = [];
    let first = this.count;
    while (first > 0 && this.data[((this.head + first - 1) % capacity) * 3]! > afterS) first--;
    for (let i = first; i < this.count; i++) {
      const at = ((this.head + i) % capacity) * 3;
      out.push({ startS: this.data[at]!, meanPerS: this.data[at + 1]!, peakPerS: this.data[at + 2]! });
    }
    return out;
  }
}

/** Reads checkpointed steps from untyped JSON: finite startS, numeric meanPerS (null for a gap), ascending. */
export function readCheckpointSteps(raw: unknown): StepObservation[] {
  if (!Array.isArray(raw)) return [];
  const out: StepObservation[] = [];
  for (const x of raw.slice(-MAX_CHECKPOINT_STEPS)) {
    const s = x as { startS?: unknown; meanPerS?: unknown; peakPerS?: unknown } | null;
    if (!s || typeof s.startS !== 'number' || !Number.isFinite(s.startS)) continue;
    if (out.length > 0 && s.startS <= out.at(-1)!.startS) continue;
    const mean =
      typeof s.meanPerS === 'number' && Number.isFinite(s.meanPerS) && s.meanPerS >= 0 ? s.meanPerS : Number.NaN;
    const peak = typeof s.peakPerS === 'number' && Number.isFinite(s.peakPerS) && s.peakPerS >= 0 ? s.peakPerS : mean;
    out.push({ startS: s.startS, meanPerS: mean, peakPerS: peak });
  }
  return out;
}

/**
 * Reads a model's checkpointed burst history (absent: undefined, nothing said). A bad or partial one is dropped with a
 * warning record naming the model and the field: the model plans on, learning its bursts again.
 */
export function readCheckpointBursts(
  model: string,
  raw: unknown,
  nowMs: number,
  log: (record: DaemonLogRecord) => void,
): BurstHistory | undefined {
  if (raw === undefined) return undefined;
  try {
    return readBurstHistory(raw);
  } catch (err) {
    log({
      kind: 'daemon',
      time: new Date(nowMs).toISOString(),
      model,
      event: 'checkpoint-bursts-dropped',
      message: `the checkpointed burst history of ${model} is not used (${err instanceof Error ? err.message : String(err)}); its burst rules apply again after ${MIN_BURSTS} new bursts`,
      error: loggedError('checkpoint', err),
      ...(err instanceof BurstHistoryError ? { detail: { field: err.field } } : {}),
    });
    return undefined;
  }
}
