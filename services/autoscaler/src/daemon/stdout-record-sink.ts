import type { Logger, LogLevel } from '@warmpool/telemetry';
import type { DaemonEventRecord, DaemonLogRecord, JobRecord } from './daemon-record.js';
import type { RecordSink } from './decision-log.js';

/** Events of the local replicas that only a debugging reader wants on stdout (the durable logs keep them all). */
const DEBUG_EVENTS = new Set(['replica-requested', 'replica-spawned']);

/** The level a daemon record is logged at. */
export function recordLevel(r: DaemonEventRecord | JobRecord): Exclude<LogLevel, 'silent'> {
  if (r.kind === 'job')
    return r.event === 'failed'
      ? 'error'
      : r.event === 'retrying' || r.event === 'stalled' || r.error
        ? 'warn'
        : 'info';
  if (r.kind === 'error') return 'error';
  if (
    r.error ||
    (r.kind === 'config' && r.event === 'rejected') ||
    r.event === 'replica-kill' ||
    r.event === 'log-write-failed'
  )
    return 'warn';
  return DEBUG_EVENTS.has(r.event) ? 'debug' : 'info';
}

/** Writes a daemon record (not a decision) as one logger line: its message as `msg`, its fields kept. */
export function logRecord(logger: Logger, r: DaemonEventRecord | JobRecord): void {
  const { time: _time, message, ...fields } = r;
  logger[recordLevel(r)](fields, message);
}

/**
 * The daemon's stdout: decisions and their outcomes go on as the decision stream (`decisions`, JSON lines or the
 * readable decision lines); everything else the daemon reports (start, stop, leadership, config, jobs, replicas,
 * errors) goes to the one logger, with a level, `component: daemon` and the record's fields.
 */
export class StdoutRecordSink implements RecordSink {
  readonly name = 'stdout';

  constructor(
    private readonly decisions: RecordSink,
    private readonly logger: Logger,
  ) {}

  write(record: DaemonLogRecord): void | Promise<void> {
    if (record.kind === 'decision' || record.kind === 'outcome') return this.decisions.write(record);
    logRecord(this.logger, record);
  }

  close(): Promise<void> {
    return this.decisions.close();
  }
}
