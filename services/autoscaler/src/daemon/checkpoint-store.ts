import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  CheckpointBuilder,
  CheckpointError,
  cursorsOf,
  decodeStepColumns,
  eachModel,
  encodeStepColumns,
  metaText,
  parseCheckpoint,
  StepEncodingError,
  Yielder,
  type CheckpointSource,
  type DaemonCheckpoint,
  type TakeCheckpoint,
} from './checkpoint-format.js';

export {
  CHECKPOINT_FORMAT,
  CheckpointError,
  parseCheckpoint,
  Yielder,
  type CheckpointSource,
  type DaemonCheckpoint,
  type TakeCheckpoint,
} from './checkpoint-format.js';

/** A snapshot is written to its temporary file in pieces of about this many characters. */
const WRITE_CHUNK_CHARS = 1 << 20;

/** Where checkpoints live: Redis when the daemon has one, a state file otherwise. */
export interface CheckpointStore {
  /** `redis redis://host:6379 key warmpool:checkpoint:x` or `file /path`, for the log. */
  readonly name: string;
  /** The last checkpoint; undefined when there is none. Throws CheckpointError when it cannot be read. */
  load(): Promise<DaemonCheckpoint | undefined>;
  /**
   * Writes what changed since this store's last save: `take` builds the state with only the steps after the store's
   * cursor per model (everything on the first save, after a failed one, or when another writer wrote in between).
   */
  save(take: TakeCheckpoint): Promise<void>;
  close(): Promise<void>;
}

interface Snapshot {
  readonly v: 2;
  /** The journal lines of this snapshot carry the same `g` (older lines, left by a crash mid-compaction, are skipped). */
  readonly g: string;
  readonly savedAtMs: number;
  readonly identity: string;
  readonly fencingToken: number | null;
  readonly models: Record<string, { s: unknown; l: unknown; b?: unknown }>;
}

/** One journal line: the header of a save and, per model, the steps added (`s`) and the metadata that changed (`l`, `b`). */
interface JournalLine {
  readonly g: string;
  readonly t: number;
  readonly id: string;
  readonly f: number | null;
  readonly m: Record<string, { s?: unknown; l?: unknown; b?: unknown }>;
  /** Models no longer checkpointed. */
  readonly x?: string[];
}

/**
 * A compacted snapshot (`file`, replaced atomically: a temporary file, fsync'd, renamed) and an append-only journal
 * beside it (`file.journal`, JSON lines, each fdatasync'd before the save resolves). A save appends one line with the
 * steps added since the last save and the lead times and burst histories that changed; the first save of a process,
 * and a save when the journal has grown past the snapshot, writes a new snapshot and empties the journal. A torn line
 * (a crash mid-append) is skipped with a warning. Reads the v1 single document too.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly name: string;
  private readonly journal: string;
  /** What this store wrote: the snapshot's generation and size, the journal's size, and per model the cursor. */
  private written: { g: string; snapshotIno: number; snapshotBytes: number; journalBytes: number } | undefined;
  private readonly stepsUpTo = new Map<string, number>();
  private readonly meta = new Map<string, string>();
  /**
   * What the last load read, when it read cleanly: a save that finds the files as they were then goes on appending to
   * them (a restarted daemon's first save is not a full snapshot).
   */
  private loaded: { written: NonNullable<FileCheckpointStore['written']>; cp: DaemonCheckpoint } | undefined;
  /** How many times the last save gave the event loop a turn (a save of many models yields between them). */
  lastSaveYields = 0;

  constructor(private readonly file: string) {
    this.name = `file ${file}`;
    this.journal = `${file}.journal`;
  }

  async load(): Promise<DaemonCheckpoint | undefined> {
    this.loaded = undefined;
    const snapshotIno = inodeOf(this.file);
    const text = await this.read(this.file);
    if (text === undefined) return undefined;
    if (!text.startsWith('{"v":2,')) return parseCheckpoint(this.name, text);
    const yielder = new Yielder();
    let snap: Snapshot;
    try {
      snap = await parseSnapshot(text, yielder);
    } catch (err) {
      throw new CheckpointError(this.name, `not JSON (${(err as Error).message})`, { cause: err });
    }
    if (
      typeof snap.g !== 'string' ||
      typeof snap.savedAtMs !== 'number' ||
      !snap.models ||
      typeof snap.models !== 'object'
    )
      throw new CheckpointError(this.name, 'not a warmpool checkpoint (expected { v: 2, g, savedAtMs, models })');
    const b = new CheckpointBuilder();
    for (const [name, m] of Object.entries(snap.models)) {
      await yielder.maybe();
      readSteps(b, name, m?.s, this.name);
      b.setMeta(name, m, this.name);
    }
    const header = {
      savedAtMs: snap.savedAtMs,
      identity: String(snap.identity),
      fencingToken: snap.fencingToken ?? null,
    };
    const journalText = (await this.read(this.journal)) ?? '';
    const lines = journalText.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] === '') continue;
      await yielder.maybe();
      const where = `${this.journal} line ${i + 1}`;
      let line: JournalLine;
      try {
        line = JSON.parse(lines[i]!) as JournalLine;
      } catch {
        b.warnings.push(`${where}: ${i === lines.length - 1 ? 'torn (a save cut short)' : 'not JSON'}, skipped`);
        continue;
      }
      if (!line || line.g !== snap.g || typeof line.t !== 'number' || !line.m || typeof line.m !== 'object') continue;
      for (const name of line.x ?? []) b.remove(name);
      for (const [name, m] of Object.entries(line.m)) {
        if (m?.s !== undefined) readSteps(b, name, m.s, where);
        if (m?.l !== undefined || m?.b !== undefined) b.setMeta(name, m, where);
        else b.model(name);
      }
      header.savedAtMs = line.t;
      header.identity = String(line.id);
      header.fencingToken = typeof line.f === 'number' ? line.f : null;
    }
    const cp = b.build(header);
    if (!cp.warnings) {
      const journalBytes = Buffer.byteLength(journalText);
      this.loaded = { written: { g: snap.g, snapshotIno, snapshotBytes: Buffer.byteLength(text), journalBytes }, cp };
    }
    return cp;
  }

  async save(take: TakeCheckpoint): Promise<void> {
    try {
      const yielder = new Yielder();
      if (!this.written && this.loaded) await this.goOnFromLoad(this.loaded, yielder);
      this.loaded = undefined;
      const w = this.written;
      // another process wrote since (a new snapshot or journal lines): this writer's cursors no longer hold
      const foreign = !w || inodeOf(this.file) !== w.snapshotIno || sizeOf(this.journal) !== w.journalBytes;
      if (foreign || w.journalBytes > w.snapshotBytes) await this.saveSnapshot(take(), yielder);
      else await this.append(take(), w, yielder);
      this.lastSaveYields = yielder.yields;
    } catch (err) {
      this.forget();
      throw err instanceof CheckpointError
        ? err
        : new CheckpointError(this.name, (err as Error).message, { cause: err });
    }
  }

  async close(): Promise<void> {}

  /**
   * Everything as a new snapshot (a new generation: the journal's lines no longer apply), then an empty journal. Model
   * by model: each is encoded and written to the temporary file in turn (the event loop gets a turn every few ms), then
   * the file is fdatasync'd and renamed over the snapshot, so a reader sees the old snapshot or the whole new one.
   */
  private async saveSnapshot(source: CheckpointSource, yielder: Yielder): Promise<void> {
    this.forget();
    const g = randomUUID().slice(0, 8);
    const header: Omit<Snapshot, 'models'> = {
      v: 2,
      g,
      savedAtMs: source.savedAtMs,
      identity: source.identity,
      fencingToken: source.fencingToken,
    };
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const fh = await open(tmp, 'w');
    let bytes = 0;
    const stepsUpTo = new Map<string, number>();
    const metas = new Map<string, string>();
    try {
      let pending = `${JSON.stringify(header).slice(0, -1)},"models":{`;
      let first = true;
      const flush = async () => {
        const buf = Buffer.from(pending);
        pending = '';
        bytes += buf.length;
        await fh.write(buf);
      };
      for await (const [name, m] of eachModel(source, () => Number.NEGATIVE_INFINITY, yielder)) {
        const entry = {
          s: encodeStepColumns(m.steps),
          l: m.leadTimeSamples,
          ...(m.bursts === undefined ? {} : { b: m.bursts }),
        };
        // one model a line (JSON whitespace): a loader parses it model by model (parseSnapshot)
        pending += `${first ? '\n' : ',\n'}${JSON.stringify(name)}:${JSON.stringify(entry)}`;
        first = false;
        const last = m.steps.at(-1);
        if (last) stepsUpTo.set(name, last.startS);
        metas.set(name, metaText(m));
        if (pending.length >= WRITE_CHUNK_CHARS) await flush();
      }
      pending += '\n}}';
      await flush();
      await fh.datasync();
      await fh.close();
    } catch (err) {
      await fh.close().catch(() => undefined);
      await rm(tmp, { force: true });
      throw err;
    }
    await rename(tmp, this.file);
    await writeFile(this.journal, '');
    for (const [k, v] of stepsUpTo) this.stepsUpTo.set(k, v);
    for (const [k, v] of metas) this.meta.set(k, v);
    this.written = { g, snapshotIno: inodeOf(this.file), snapshotBytes: bytes, journalBytes: 0 };
  }

  /** One journal line: the steps after each model's cursor and the metadata that changed. */
  private async append(
    source: CheckpointSource,
    w: NonNullable<FileCheckpointStore['written']>,
    yielder: Yielder,
  ): Promise<void> {
    const m: JournalLine['m'] = {};
    const metas = new Map<string, string>();
    const stepsUpTo = new Map<string, number>();
    const after = (model: string) => this.stepsUpTo.get(model) ?? Number.NEGATIVE_INFINITY;
    for await (const [name, mc] of eachModel(source, after, yielder)) {
      const entry: { s?: unknown; l?: unknown; b?: unknown } = {};
      if (mc.steps.length > 0) {
        entry.s = encodeStepColumns(mc.steps);
        stepsUpTo.set(name, mc.steps.at(-1)!.startS);
      }
      const meta = metaText(mc);
      metas.set(name, meta);
      if (meta !== this.meta.get(name)) Object.assign(entry, { l: mc.leadTimeSamples, b: mc.bursts });
      if (entry.s !== undefined || entry.l !== undefined || !this.meta.has(name)) m[name] = entry;
    }
    const removed = [...this.meta.keys()].filter((name) => !metas.has(name));
    const line: JournalLine = {
      g: w.g,
      t: source.savedAtMs,
      id: source.identity,
      f: source.fencingToken,
      m,
      ...(removed.length ? { x: removed } : {}),
    };
    const text = Buffer.from(`${JSON.stringify(line)}\n`);
    const fh = await open(this.journal, 'a');
    try {
      if ((await fh.stat()).size !== w.journalBytes)
        throw new CheckpointError(this.name, 'the journal changed under this writer');
      await fh.write(text);
      await fh.datasync();
    } finally {
      await fh.close();
    }
    for (const name of removed) {
      this.meta.delete(name);
      this.stepsUpTo.delete(name);
    }
    for (const [k, v] of stepsUpTo) this.stepsUpTo.set(k, v);
    for (const [k, v] of metas) this.meta.set(k, v);
    w.journalBytes += text.length;
  }

  /** Takes the loaded files' cursors as this writer's own (the save then checks the files are still as loaded). */
  private async goOnFromLoad(loaded: NonNullable<FileCheckpointStore['loaded']>, yielder: Yielder): Promise<void> {
    const { stepsUpTo, meta } = await cursorsOf(loaded.cp, yielder);
    for (const [k, v] of stepsUpTo) this.stepsUpTo.set(k, v);
    for (const [k, v] of meta) this.meta.set(k, v);
    this.written = { ...loaded.written };
  }

  private forget(): void {
    this.written = undefined;
    this.stepsUpTo.clear();
    this.meta.clear();
  }

  private async read(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CheckpointError(this.name, (err as Error).message, { cause: err });
    }
  }
}

/**
 * A snapshot's JSON. One written a model a line (`{header,"models":{` / `"name":{...},` ... / `}}`) is parsed a line at
 * a time, yielding between slices, not as one 37 MB JSON.parse; one on a single line (written before) in one go.
 */
async function parseSnapshot(text: string, yielder: Yielder): Promise<Snapshot> {
  const nl = text.indexOf('\n');
  if (nl < 0 || !text.endsWith('\n}}')) return JSON.parse(text) as Snapshot;
  const snap = JSON.parse(`${text.slice(0, nl)}}}`) as Snapshot;
  if (!snap || typeof snap !== 'object' || typeof snap.models !== 'object' || snap.models === null) return snap;
  const end = text.length - 3;
  for (let at = nl + 1; at < end; ) {
    await yielder.maybe();
    let next = text.indexOf('\n', at);
    if (next < 0 || next > end) next = end;
    const line = text.slice(at, text.charCodeAt(next - 1) === 44 ? next - 1 : next); // without its comma
    for (const [name, m] of Object.entries(JSON.parse(`{${line}}`) as Snapshot['models']))
      Object.defineProperty(snap.models, name, { value: m, enumerable: true, writable: true, configurable: true });
    at = next + 1;
  }
  return snap;
}

function inodeOf(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return -1;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

/** A model's stored steps appended to `b`; bad ones dropped with a warning naming the model and the field. */
export function readSteps(b: CheckpointBuilder, model: string, raw: unknown, where: string): void {
  try {
    b.appendSteps(model, decodeStepColumns(raw));
  } catch (err) {
    if (!(err instanceof StepEncodingError)) throw err;
    b.model(model);
    b.warnings.push(`${where}: model ${model}: ${err.message}; these steps are not restored`);
  }
}
