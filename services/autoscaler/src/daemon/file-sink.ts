import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RecordSink } from './decision-log.js';
import type { DaemonLogRecord } from './daemon-record.js';

/**
 * Appends one JSON line per record to a file (created with its folder). Synchronous appends: a record is on disk
 * before the daemon acts on the next one, and a killed daemon loses nothing it logged.
 */
export class FileSink implements RecordSink {
  readonly name: string;

  constructor(private readonly file: string) {
    this.name = `file ${file}`;
    mkdirSync(dirname(file), { recursive: true });
  }

  write(record: DaemonLogRecord): void {
    appendFileSync(this.file, JSON.stringify(record) + '\n');
  }

  async close(): Promise<void> {
    // nothing held open
  }
}
