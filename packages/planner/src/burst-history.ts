import { WarmpoolError } from '@warmpool/domain';

/** Version of the {@link BurstHistory} format this build writes and reads. */
export const BURST_HISTORY_VERSION = 1;
/** Bursts remembered per model (peaks, gaps, lengths): a ring of this many, oldest dropped. */
export const BURST_MEMORY = 64;
/** Ticks of tick-peak history the quiet level (their median) is taken over. */
export const QUIET_WINDOW_TICKS = 240;

/** A burst under way when the history was taken. */
export interface BurstUnderWay {
  readonly startS: number;
  readonly lastBusyS: number;
  readonly peakPerS: number;
  /** Quiet ticks since its last busy one (it ends at 2). */
  readonly quietRun: number;
}

/**
 * Everything a BurstTracker learnt, as plain JSON (the daemon checkpoints it per model so a restarted or new leader
 * keeps the burst rules): a few KB per model. Numbers are finite; absent times are null.
 */
export interface BurstHistory {
  readonly v: typeof BURST_HISTORY_VERSION;
  /** Tick peaks of the quiet window, oldest first (at most {@link QUIET_WINDOW_TICKS}). */
  readonly quietPeaksPerS: readonly number[];
  /** The quiet level as last computed (it is recomputed every few ticks, not every tick). */
  readonly quietMedianPerS: number;
  readonly ticksSinceQuiet: number;
  /** The completed bursts remembered, oldest first (at most {@link BURST_MEMORY} each; peaks and lengths pair up). */
  readonly peaksPerS: readonly number[];
  readonly lengthsS: readonly number[];
  readonly gapsS: readonly number[];
  /** Exponentially weighted share of busy ticks, 0-1. */
  readonly busyShare: number;
  /** The tick length last seen, seconds (0 before the second tick). */
  readonly tickS: number;
  /** The last tick fed; null before the first. */
  readonly lastTickS: number | null;
  /** When the last completed burst ended; null before the first. */
  readonly lastEndS: number | null;
  readonly burst: BurstUnderWay | null;
}

/** A stored burst history that cannot be used: `field` names the part that is wrong. */
export class BurstHistoryError extends WarmpoolError {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super('E_BURST_HISTORY', `burst history: ${field}: ${detail}`);
  }
}

type Fields = Record<string, unknown>;

function num(o: Fields, field: string, min: number, max = Number.POSITIVE_INFINITY, path = field): number {
  const v = o[field];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
    throw new BurstHistoryError(path, `got ${JSON.stringify(v) ?? 'nothing'}, expected a number in [${min}, ${max}]`);
  return v;
}

function time(o: Fields, field: string): number | null {
  const v = o[field];
  if (v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new BurstHistoryError(field, `got ${JSON.stringify(v) ?? 'nothing'}, expected a time in seconds or null`);
  return v;
}

function list(o: Fields, field: string, max: number): number[] {
  const v = o[field];
  if (!Array.isArray(v)) throw new BurstHistoryError(field, `got ${JSON.stringify(v) ?? 'nothing'}, expected an array`);
  if (v.length > max) throw new BurstHistoryError(field, `${v.length} entries, at most ${max} are kept`);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0)
      throw new BurstHistoryError(`${field}[${i}]`, `got ${JSON.stringify(x)}, expected a number >= 0`);
  });
  return v as number[];
}

/**
 * Reads a burst history from untyped JSON (a checkpoint): every field is checked, nothing is trusted. Throws
 * BurstHistoryError naming the first bad field; a history that passes restores a tracker exactly.
 */
export function readBurstHistory(raw: unknown): BurstHistory {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new BurstHistoryError('(root)', `got ${JSON.stringify(raw) ?? 'nothing'}, expected an object`);
  const o = raw as Fields;
  if (o.v !== BURST_HISTORY_VERSION)
    throw new BurstHistoryError(
      'v',
      `version ${JSON.stringify(o.v) ?? 'missing'}, this build reads ${BURST_HISTORY_VERSION}`,
    );
  const peaksPerS = list(o, 'peaksPerS', BURST_MEMORY);
  const lengthsS = list(o, 'lengthsS', BURST_MEMORY);
  if (lengthsS.length !== peaksPerS.length)
    throw new BurstHistoryError('lengthsS', `${lengthsS.length} lengths for ${peaksPerS.length} peaks (one per burst)`);
  const lastEndS = time(o, 'lastEndS');
  if (peaksPerS.length > 0 && lastEndS === null)
    throw new BurstHistoryError('lastEndS', `null, yet ${peaksPerS.length} burst(s) ended`);
  const lastTickS = time(o, 'lastTickS');
  let burst: BurstUnderWay | null = null;
  if (o.burst !== null) {
    if (!o.burst || typeof o.burst !== 'object')
      throw new BurstHistoryError('burst', `got ${JSON.stringify(o.burst) ?? 'nothing'}, expected an object or null`);
    const b = o.burst as Fields;
    burst = {
      startS: num(b, 'startS', Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 'burst.startS'),
      lastBusyS: num(b, 'lastBusyS', Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY, 'burst.lastBusyS'),
      peakPerS: num(b, 'peakPerS', 0, Number.POSITIVE_INFINITY, 'burst.peakPerS'),
      quietRun: num(b, 'quietRun', 0, Number.POSITIVE_INFINITY, 'burst.quietRun'),
    };
    if (burst.lastBusyS < burst.startS)
      throw new BurstHistoryError('burst.lastBusyS', `${burst.lastBusyS} is before the burst's start ${burst.startS}`);
    if (lastTickS === null) throw new BurstHistoryError('lastTickS', 'null, yet a burst is under way');
  }
  return {
    v: BURST_HISTORY_VERSION,
    quietPeaksPerS: list(o, 'quietPeaksPerS', QUIET_WINDOW_TICKS),
    quietMedianPerS: num(o, 'quietMedianPerS', 0),
    ticksSinceQuiet: num(o, 'ticksSinceQuiet', 0),
    peaksPerS,
    lengthsS,
    gapsS: list(o, 'gapsS', BURST_MEMORY),
    busyShare: num(o, 'busyShare', 0, 1),
    tickS: num(o, 'tickS', 0),
    lastTickS,
    lastEndS,
    burst,
  };
}
