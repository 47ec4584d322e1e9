import type { DaemonDecisionRecord, DaemonLogRecord } from './daemon-record.js';
import type { RecordSink } from './decision-log.js';

/** Models whose last printed decision is remembered (the configured models; a bound all the same). */
const MAX_MODELS = 100_000;

/** A decision that asked nothing of the provider: a hold, or any decision under --dry-run or on a standby daemon. */
function actedOnNothing(r: DaemonDecisionRecord): boolean {
  return (
    (r.acted === 'none' || r.acted === 'dry-run' || r.acted === 'standby') &&
    !r.notes?.length &&
    !r.error &&
    !r.replaced?.length
  );
}

function signature(r: DaemonDecisionRecord): string {
  return JSON.stringify([
    r.action,
    r.from,
    r.to,
    r.reasons,
    r.ready,
    r.warming,
    r.desired,
    r.failed,
    r.leader,
    r.dryRun,
    r.acted,
    r.measuredLeadTimeS,
  ]);
}

/**
 * stdout's decision stream without repeats: a decision that acted on nothing (a hold; every decision of `run --dry-run`
 * or of a standby daemon) and says what the model's previous one said is left out. Anything that changed, acted, noted
 * or failed passes, and so does every other record. The durable sinks have their own heartbeat (ChangedHoldsSink).
 */
export class RepeatedDecisionFilter implements RecordSink {
  readonly name: string;
  private readonly last = new Map<string, string>();

  constructor(private readonly inner: RecordSink) {
    this.name = inner.name;
  }

  write(record: DaemonLogRecord): void | Promise<void> {
    if (record.kind === 'decision') {
      const sig = signature(record);
      const repeated = actedOnNothing(record) && this.last.get(record.model) === sig;
      this.last.delete(record.model);
      this.last.set(record.model, sig);
      if (this.last.size > MAX_MODELS) this.last.delete(this.last.keys().next().value!);
      if (repeated) return;
    }
    return this.inner.write(record);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
