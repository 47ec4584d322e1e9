import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { WarmpoolError } from '@warmpool/domain';
import type { ModelCheckpoint } from './model-checkpoint.js';

/** The daemon's durable state: per model, what its forecaster saw and the lead times it measured. */
export interface DaemonCheckpoint {
  readonly v: 1;
  readonly savedAtMs: number;
  /** Who wrote it (the leader then) and under which fencing token, for the log. */
  readonly identity: string;
  readonly fencingToken: number | null;
  readonly models: Readonly<Record<string, ModelCheckpoint>>;
}

/** Where checkpoints live: Redis when the daemon has one, a state file otherwise. */
export interface CheckpointStore {
  /** `redis redis://host:6379 key warmpool:checkpoint:x` or `file /path`, for the log. */
  readonly name: string;
  /** The last checkpoint; undefined when there is none. Throws CheckpointError when it cannot be read. */
  load(): Promise<DaemonCheckpoint | undefined>;
  save(checkpoint: DaemonCheckpoint): Promise<void>;
  close(): Promise<void>;
}

export class CheckpointError extends WarmpoolError {
  constructor(store: string, detail: string, options?: { cause?: unknown }) {
    super('E_CHECKPOINT', `checkpoint ${store}: ${detail}`, options);
  }
}

/** Checks the outer shape of a stored checkpoint (each model's content is read defensively when restored). */
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

/** A JSON file, replaced atomically (write to a temporary file, then rename): a crash never leaves half a file. */
export class FileCheckpointStore implements CheckpointStore {
  readonly name: string;

  constructor(private readonly file: string) {
    this.name = `file ${file}`;
  }

  async load(): Promise<DaemonCheckpoint | undefined> {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CheckpointError(this.name, (err as Error).message, { cause: err });
    }
    return parseCheckpoint(this.name, text);
  }

  async save(checkpoint: DaemonCheckpoint): Promise<void> {
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      writeFileSync(tmp, JSON.stringify(checkpoint));
      renameSync(tmp, this.file);
    } catch (err) {
      throw new CheckpointError(this.name, (err as Error).message, { cause: err });
    }
  }

  async close(): Promise<void> {}
}
