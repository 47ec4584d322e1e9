import type { RecordSink } from './decision-log.js';
import type { DaemonDecisionRecord, DaemonLogRecord } from './daemon-record.js';

/** Models whose last hold is remembered (the configured models; a bound all the same). */
const MAX_MODELS = 100_000;

/** A plain hold: nothing asked of the provider, nothing noted, no error. */
export function isPlainHold(r: DaemonLogRecord): r is DaemonDecisionRecord {
  return r.kind === 'decision' && r.action === 'hold' && r.acted === 'none' && !r.notes?.length && !r.error;
}

function signature(r: DaemonDecisionRecord): string {
  return JSON.stringify([
    r.from,
    r.to,
    r.reasons,
    r.ready,
    r.warming,
    r.desired,
    r.leader,
    r.dryRun,
    r.measuredLeadTimeS,
  ]);
}

/**
 * Passes every record on except a plain hold that says what the model's previous record said (same replicas, reasons,
 * ready and warming counts, role, measured lead time), unless `repeatEveryMs` passed since the model's last written
 * record (a heartbeat: the reader sees the model is still decided on). With the daemon's 10 ticks a quiet model at a
 * 5 s tick writes ~1,700 lines a day instead of 17,000. Any other record (a scale, an error) counts as a change.
 */
export class ChangedHoldsSink implements RecordSink {
  readonly name: string;
  private readonly last = new Map<string, { sig: string; atMs: number }>();

  constructor(
    private readonly inner: RecordSink,
    private readonly repeatEveryMs = Infinity,
  ) {
    this.name = inner.name;
  }

  write(record: DaemonLogRecord): void | Promise<void> {
    if (record.kind === 'decision') {
      const model = record.model;
      if (isPlainHold(record)) {
        const sig = signature(record);
        const atMs = Date.parse(record.time);
        const prev = this.last.get(model);
        if (prev && prev.sig === sig && !(atMs - prev.atMs >= this.repeatEveryMs)) return;
        this.last.delete(model);
        this.last.set(model, { sig, atMs });
        if (this.last.size > MAX_MODELS) this.last.delete(this.last.keys().next().value!);
      } else this.last.delete(model);
    }
    return this.inner.write(record);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
