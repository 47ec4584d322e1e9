import type { StepObservation } from '@warmpool/domain';
import { WarmpoolError } from '@warmpool/domain';
import { MAX_CHECKPOINT_STEPS, type ModelCheckpoint } from './model-checkpoint.js';

/** The stored format the stores write: steps appended per model, metadata written when it changed (v1: one document). */
export const CHECKPOINT_FORMAT = 2;

/** The daemon's durable state: per model, what its forecaster saw and the lead times it measured. */
export interface DaemonCheckpoint {
  /** The stored format it was read from (1: the single JSON document of earlier versions). */
  readonly v: 1 | 2;
  readonly savedAtMs: number;
  /** Who wrote it (the leader then) and under which fencing token. */
  readonly identity: string;
  readonly fencingToken: number | null;
  readonly models: Readonly<Record<string, ModelCheckpoint>>;
  /** What the store skipped while reading (a torn journal line, a model's bad steps), each naming where; logged. */
  readonly warnings?: readonly string[];
}

/**
 * What a store reads the daemon's state through, model by model (so that a save of every model can yield to the event
 * loop between models instead of building millions of step objects at once).
 */
export interface CheckpointSource {
  readonly savedAtMs: number;
  readonly identity: string;
  readonly fencingToken: number | null;
  /** The models checkpointed now. */
  readonly names: readonly string[];
  /**
   * A model's state with only the steps whose startS is after `stepsAfterS` (the store's cursor: what it already holds
   * from this writer; -Infinity: every step). Undefined when the model went away since `names` was read.
   */
  model(name: string, stepsAfterS: number): ModelCheckpoint | undefined;
}

/** Opens a view of the daemon's state for one save. */
export type TakeCheckpoint = () => CheckpointSource;

/**
 * Cuts a long save into slices: `maybe()` gives the event loop a turn (setImmediate: timers and I/O run) once `sliceMs`
 * of work has passed since the last turn. `yields` counts the turns given.
 */
export class Yielder {
  yields = 0;
  private since = performance.now();

  constructor(private readonly sliceMs = 8) {}

  async maybe(): Promise<void> {
    if (performance.now() - this.since < this.sliceMs) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.yields++;
    this.since = performance.now();
  }
}

/** The models of `source` one at a time, each with the steps after `stepsAfterS(name)`, yielding between slices. */
export async function* eachModel(
  source: CheckpointSource,
  stepsAfterS: (model: string) => number,
  yielder: Yielder,
): AsyncGenerator<[string, ModelCheckpoint]> {
  for (const name of source.names) {
    await yielder.maybe();
    const m = source.model(name, stepsAfterS(name));
    if (m) yield [name, m];
  }
}

export class CheckpointError extends WarmpoolError {
  constructor(store: string, detail: string, options?: { cause?: unknown }) {
    super('E_CHECKPOINT', `checkpoint ${store}: ${detail}`, options);
  }
}

/** Reads the v1 single JSON document (written before the incremental format); each model's content is read when restored. */
export function parseCheckpoint(store: string, text: string): DaemonCheckpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(store, `not JSON (${(err as Error).message})`, { cause: err });
  }
  const c = raw as Partial<DaemonCheckpoint> | null;
  if (
    !c ||
    typeof c !== 'object' ||
    c.v !== 1 ||
    typeof c.models !== 'object' ||
    c.models === null ||
    typeof c.savedAtMs !== 'number'
  ) {
    throw new CheckpointError(store, 'not a warmpool checkpoint (expected { v: 1, savedAtMs, models })');
  }
  return c as DaemonCheckpoint;
}

/**
 * Demand rates are kept to 4 significant digits (0.05 % at most, far under the noise of a demand step, and what the
 * forecasters need); startS is whole seconds as measured.
 */
export function roundRate(x: number): number {
  return x === 0 ? 0 : Number(x.toPrecision(4));
}

/** Steps as columns: `t` the first startS then the difference to each next, `m` the means (null: a gap), `p` the peaks (null: same as the mean; absent: all the same). */
export interface StepColumns {
  readonly t: number[];
  readonly m: (number | null)[];
  readonly p?: (number | null)[];
}

export function encodeStepColumns(steps: readonly StepObservation[]): StepColumns {
  const t: number[] = [];
  const m: (number | null)[] = [];
  const p: (number | null)[] = [];
  let peaks = false;
  let last = 0;
  for (const s of steps) {
    t.push(t.length === 0 ? s.startS : s.startS - last);
    last = s.startS;
    const mean = Number.isFinite(s.meanPerS) ? roundRate(s.meanPerS) : null;
    const peak = Number.isFinite(s.peakPerS) ? roundRate(s.peakPerS) : null;
    m.push(mean);
    if (peak === mean) p.push(null);
    else {
      p.push(peak);
      peaks = true;
    }
  }
  return peaks ? { t, m, p } : { t, m };
}

/** Thrown by the decoders: `field` names the part of a model's stored steps that is wrong. */
export class StepEncodingError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`${field}: ${detail}`);
  }
}

const rate = (v: unknown, field: string): number => {
  if (v === null) return Number.NaN;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new StepEncodingError(field, `got ${JSON.stringify(v) ?? 'nothing'}, expected a rate >= 0 or null`);
  return v;
};

/** The steps of `StepColumns` read from untyped JSON (throws StepEncodingError naming the column and index). */
export function decodeStepColumns(raw: unknown, field = 'steps'): StepObservation[] {
  const c = raw as Partial<Record<'t' | 'm' | 'p', unknown>> | null;
  if (!c || typeof c !== 'object' || !Array.isArray(c.t) || !Array.isArray(c.m) || c.m.length !== c.t.length)
    throw new StepEncodingError(field, 'expected { t: [...], m: [...] } of one length');
  if (c.p !== undefined && (!Array.isArray(c.p) || c.p.length !== c.t.length))
    throw new StepEncodingError(`${field}.p`, `expected ${c.t.length} peaks`);
  const out: StepObservation[] = [];
  let startS = 0;
  for (let i = 0; i < c.t.length; i++) {
    const d = c.t[i];
    if (typeof d !== 'number' || !Number.isFinite(d) || (i > 0 && d <= 0))
      throw new StepEncodingError(
        `${field}.t[${i}]`,
        `got ${JSON.stringify(d) ?? 'nothing'}, expected ${i === 0 ? 'a start in s' : 'seconds > 0 after the last step'}`,
      );
    startS = i === 0 ? d : startS + d;
    const meanPerS = rate(c.m[i], `${field}.m[${i}]`);
    const p = c.p ? (c.p as unknown[])[i] : null;
    out.push({ startS, meanPerS, peakPerS: p === null ? meanPerS : rate(p, `${field}.p[${i}]`) });
  }
  return out;
}

/** What a store gathers while reading, model by model (steps appended in order, the newest MAX_CHECKPOINT_STEPS kept). */
export class CheckpointBuilder {
  private readonly models = new Map<
    string,
    { steps: StepObservation[]; leadTimeSamples: unknown[]; bursts?: unknown }
  >();
  readonly warnings: string[] = [];

  model(name: string) {
    let m = this.models.get(name);
    if (!m) {
      m = { steps: [], leadTimeSamples: [] };
      this.models.set(name, m);
    }
    return m;
  }

  /** Appends steps newer than the model's last (a journal line written twice adds nothing). */
  appendSteps(name: string, steps: readonly StepObservation[]): void {
    const m = this.model(name);
    for (const s of steps) if (m.steps.length === 0 || s.startS > m.steps.at(-1)!.startS) m.steps.push(s);
    if (m.steps.length > 2 * MAX_CHECKPOINT_STEPS) m.steps.splice(0, m.steps.length - MAX_CHECKPOINT_STEPS);
  }

  setMeta(name: string, raw: unknown, where: string): void {
    const meta = raw as { l?: unknown; b?: unknown } | null;
    if (!meta || typeof meta !== 'object') {
      this.warnings.push(`${where}: model ${name}: lead times and bursts: not an object, not restored`);
      return;
    }
    const m = this.model(name);
    if (meta.l !== undefined) {
      if (Array.isArray(meta.l)) m.leadTimeSamples = meta.l;
      else this.warnings.push(`${where}: model ${name}: leadTimeSamples: not a list, not restored`);
    }
    if (meta.b !== undefined) m.bursts = meta.b;
  }

  remove(name: string): void {
    this.models.delete(name);
  }

  build(header: { savedAtMs: number; identity: string; fencingToken: number | null }): DaemonCheckpoint {
    const models: Record<string, ModelCheckpoint> = {};
    for (const [name, m] of this.models)
      models[name] = {
        steps: m.steps.slice(-MAX_CHECKPOINT_STEPS),
        leadTimeSamples: m.leadTimeSamples as ModelCheckpoint['leadTimeSamples'],
        ...(m.bursts === undefined ? {} : { bursts: m.bursts as ModelCheckpoint['bursts'] }),
      };
    return { v: 2, ...header, models, ...(this.warnings.length ? { warnings: this.warnings } : {}) };
  }
}

/** Lead times and burst history as one JSON text (the store writes it only when it differs from what it wrote). */
export function metaText(m: ModelCheckpoint): string {
  return JSON.stringify({ l: m.leadTimeSamples, ...(m.bursts === undefined ? {} : { b: m.bursts }) });
}

/** What a store holds after a load, per model: the newest step and the metadata text (a writer that goes on from it). */
export async function cursorsOf(
  cp: DaemonCheckpoint,
  yielder: Yielder,
): Promise<{ stepsUpTo: Map<string, number>; meta: Map<string, string> }> {
  const stepsUpTo = new Map<string, number>();
  const meta = new Map<string, string>();
  for (const [name, m] of Object.entries(cp.models)) {
    await yielder.maybe();
    const last = m.steps.at(-1);
    if (last) stepsUpTo.set(name, last.startS);
    meta.set(name, metaText(m));
  }
  return { stepsUpTo, meta };
}
