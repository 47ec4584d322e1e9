import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** One replica process a provider started, as written to its state file. */
export interface ReplicaStateEntry {
  readonly replicaId: string;
  readonly model: string;
  readonly pid: number;
  readonly port: number;
  readonly startedAtMs: number;
  /** Pid of the process whose provider started it (the daemon). */
  readonly ownerPid: number;
}

/** Entries kept at most (every replica of every model of one daemon; far above any maxReplicas sum). */
const MAX_ENTRIES = 100_000;

/** True while a process with this pid exists (signal 0). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True when `pid` is still the agent that runs `replicaId` (its command line names it), not another process that got
 * the pid since. Where /proc is missing, a live pid counts.
 */
export function isReplicaProcess(pid: number, replicaId: string): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    const i = args.indexOf('--replica-id');
    return i >= 0 && args[i + 1] === replicaId;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ENOENT' || process.platform !== 'linux';
  }
}

/**
 * The local provider's state file (`<runDir>/replicas.json`): the processes it started (pid, port, start time, replica
 * id, owner pid), rewritten atomically on every spawn and exit. A provider starting on the same run folder reads it
 * to find replicas a killed daemon left behind.
 */
export class ReplicaStateFile {
  private readonly entries = new Map<string, ReplicaStateEntry>();

  constructor(readonly file: string) {}

  /** The entries on disk (an unreadable or malformed file reads as none). */
  read(): ReplicaStateEntry[] {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch {
      return [];
    }
    const list = (raw as { replicas?: unknown } | null)?.replicas;
    if (!Array.isArray(list)) return [];
    return list.slice(0, MAX_ENTRIES).filter((e): e is ReplicaStateEntry => {
      const x = e as Partial<ReplicaStateEntry> | null;
      return (
        !!x &&
        typeof x.replicaId === 'string' &&
        typeof x.model === 'string' &&
        Number.isInteger(x.pid) &&
        (x.pid as number) > 1 &&
        Number.isInteger(x.port) &&
        typeof x.startedAtMs === 'number' &&
        Number.isInteger(x.ownerPid)
      );
    });
  }

  /** Rewrites the file: this provider's entries and those of other owners still running (ended orphans drop out). */
  flush(): void {
    this.write();
  }

  add(entry: ReplicaStateEntry): void {
    this.entries.set(entry.replicaId, entry);
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.write();
  }

  remove(replicaId: string): void {
    if (this.entries.delete(replicaId)) this.write();
  }

  private write(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      // Another live provider on the same folder writes its own entries: keep those of other owners still running.
      const others = this.read().filter(
        (e) =>
          e.ownerPid !== process.pid && !this.entries.has(e.replicaId) && (pidAlive(e.ownerPid) || pidAlive(e.pid)),
      );
      writeFileSync(tmp, JSON.stringify({ v: 1, replicas: [...others, ...this.entries.values()] }));
      renameSync(tmp, this.file);
    } catch {
      // Best effort: the reaper still ends this daemon's replicas if it dies; a later start finds fewer to end.
    }
  }
}
