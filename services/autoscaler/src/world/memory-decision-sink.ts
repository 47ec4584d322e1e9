import type { DaemonDecisionRecord, DaemonLogRecord, OutcomeRecord } from '../daemon/daemon-record.js';
import type { RecordSink } from '../daemon/decision-log.js';

/** Keeps the decision records of the run for the summary. */
export class MemoryDecisionSink implements RecordSink {
  readonly name = 'local-world';
  readonly decisions: DaemonDecisionRecord[] = [];
  readonly outcomes: OutcomeRecord[] = [];
  write(r: DaemonLogRecord): void {
    if (r.kind === 'decision') this.decisions.push(r);
    else if (r.kind === 'outcome') this.outcomes.push(r);
  }
  async close(): Promise<void> {}
}
