import type { Writable } from 'node:stream';
import { formatDecisionLine, type DecisionRecord } from './decision-record.js';

/**
 * Writes decisions: one JSON line each when the stream is not a terminal (logs, files, pipes),
 * the readable form on a terminal. `format` forces one.
 */
export class DecisionWriter {
  private readonly json: boolean;
  private readonly stream: Writable;

  constructor(stream: Writable & { isTTY?: boolean }, format: 'auto' | 'json' | 'text' = 'auto') {
    this.stream = stream;
    this.json = format === 'json' || (format === 'auto' && !stream.isTTY);
  }

  write(record: DecisionRecord): void {
    this.stream.write((this.json ? JSON.stringify(record) : formatDecisionLine(record)) + '\n');
  }
}
