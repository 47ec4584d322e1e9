import { appendFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RecordSink } from './decision-log.js';
import type { DaemonLogRecord } from './daemon-record.js';

export interface FileSinkOptions {
  /** Rotate once the file would pass this size. Default 64 MiB. */
  readonly maxBytes?: number;
  /** Rotated files kept (`file.1` newest ... `file.N` oldest); older ones are deleted. Default 5. */
  readonly keepFiles?: number;
}

export const FILE_SINK_DEFAULTS = { maxBytes: 64 * 1024 * 1024, keepFiles: 5 } as const;

/**
 * Appends one JSON line per record to a file (created with its folder). Synchronous appends: a record is on disk
 * before the daemon acts on the next one, and a killed daemon loses nothing it logged. Rotates by size: when the next
 * line would take the file past `maxBytes`, `file` becomes `file.1` (`file.1` becomes `file.2`, ...), keeping
 * `keepFiles` rotated files, so the log's disk use is bounded by (keepFiles + 1) x maxBytes.
 */
export class FileSink implements RecordSink {
  readonly name: string;
  private readonly maxBytes: number;
  private readonly keepFiles: number;
  private sizeBytes: number;

  constructor(
    private readonly file: string,
    options: FileSinkOptions = {},
  ) {
    this.name = `file ${file}`;
    this.maxBytes = Math.max(1024, Math.floor(options.maxBytes ?? FILE_SINK_DEFAULTS.maxBytes));
    this.keepFiles = Math.max(0, Math.floor(options.keepFiles ?? FILE_SINK_DEFAULTS.keepFiles));
    mkdirSync(dirname(file), { recursive: true });
    this.sizeBytes = existsSync(file) ? statSync(file).size : 0;
  }

  write(record: DaemonLogRecord): void {
    const line = JSON.stringify(record) + '\n';
    const bytes = Buffer.byteLength(line);
    if (this.sizeBytes > 0 && this.sizeBytes + bytes > this.maxBytes) this.rotate();
    appendFileSync(this.file, line);
    this.sizeBytes += bytes;
  }

  private rotate(): void {
    if (this.keepFiles === 0) rmSync(this.file, { force: true });
    else {
      rmSync(`${this.file}.${this.keepFiles}`, { force: true });
      for (let i = this.keepFiles - 1; i >= 1; i--)
        if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      renameSync(this.file, `${this.file}.1`);
    }
    this.sizeBytes = 0;
  }

  async close(): Promise<void> {
    // nothing held open
  }
}
