import type { Writable } from 'node:stream';
import { formatDecisionLine } from '../decision-log/decision-record.js';
import type { DaemonLogRecord } from './daemon-record.js';

/** One destination of the decision log (stdout, a JSON-lines file, a Redis stream). */
export interface RecordSink {
  readonly name: string;
  write(record: DaemonLogRecord): void | Promise<void>;
  close(): Promise<void>;
}

/** The readable one-line form of any record, for a terminal. */
export function formatRecordLine(r: DaemonLogRecord): string {
  const t = r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  switch (r.kind) {
    case 'decision': {
      const line = formatDecisionLine({ ...r, reasons: r.reasons as never });
      const extra = r.acted === 'none' ? '' : ` (${r.acted}${r.error ? ` ${r.error.code}` : ''})`;
      return `${line}${extra}${r.notes?.length ? ` notes: ${r.notes.join('; ')}` : ''}`;
    }
    case 'outcome': {
      // the decision it follows by its time, not its internal id (`model@epochMs`)
      const at = Number(r.ref.slice(r.ref.lastIndexOf('@') + 1));
      const of = Number.isFinite(at) && at > 0 ? ` at ${new Date(at).toISOString().slice(11, 19)}Z` : '';
      return `${t}  ${r.model.padEnd(12)} ✓ scale-up ${r.from} -> ${r.to}${of}: ${r.outcome} — ${r.message}`;
    }
    case 'job':
      return `${t}  ${(r.model ?? '-').padEnd(12)} job ${r.event} ${r.jobId}${r.error ? ` ${r.error.code}` : ''}: ${r.message}`;
    default:
      return `${t}  ${(r.model ?? '-').padEnd(12)} ${r.kind} ${r.event}: ${r.message}${r.issues?.length ? `\n    ${r.issues.join('\n    ')}` : ''}`;
  }
}

/** Writes JSON lines off a terminal, the readable form on one (`format` forces either). */
export class StreamSink implements RecordSink {
  readonly name: string;
  private readonly json: boolean;

  constructor(
    private readonly stream: Writable & { isTTY?: boolean },
    format: 'auto' | 'json' | 'text' = 'auto',
    name = 'stdout',
    /** Leave out plain holds (nothing changed, nothing noted): for a demo terminal. */
    private readonly skipHolds = false,
  ) {
    this.name = name;
    this.json = format === 'json' || (format === 'auto' && !stream.isTTY);
  }

  write(record: DaemonLogRecord): void {
    if (
      this.skipHolds &&
      record.kind === 'decision' &&
      record.action === 'hold' &&
      record.acted === 'none' &&
      !record.notes?.length &&
      !record.error
    )
      return;
    this.stream.write((this.json ? JSON.stringify(record) : formatRecordLine(record)) + '\n');
  }

  async close(): Promise<void> {
    // stdout is not ours to close
  }
}

/**
 * Fans each record out to every sink. A failing sink (Redis down, disk full) never stops the daemon: the failure is
 * reported once per streak to `onSinkError`, and the other sinks still get the record.
 */
export class DecisionLog {
  private readonly failing = new Set<string>();
  private pending = new Set<Promise<void>>();

  constructor(
    private readonly sinks: readonly RecordSink[],
    private readonly onSinkError: (sink: string, err: unknown) => void = (sink, err) =>
      process.stderr.write(
        `warmpool: decision log sink ${sink} failed: ${err instanceof Error ? err.message : String(err)}\n`,
      ),
  ) {}

  write(record: DaemonLogRecord): void {
    for (const sink of this.sinks) {
      try {
        const done = sink.write(record);
        if (done instanceof Promise) {
          const p = done.then(
            () => void this.failing.delete(sink.name),
            (err: unknown) => this.fail(sink.name, err),
          );
          this.pending.add(p);
          void p.finally(() => this.pending.delete(p));
        } else {
          this.failing.delete(sink.name);
        }
      } catch (err) {
        this.fail(sink.name, err);
      }
    }
  }

  private fail(name: string, err: unknown): void {
    if (this.failing.has(name)) return;
    this.failing.add(name);
    this.onSinkError(name, err);
  }

  /** Waits for asynchronous sink writes in flight. */
  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(): Promise<void> {
    await this.flush();
    await Promise.allSettled(this.sinks.map((s) => s.close()));
  }
}
