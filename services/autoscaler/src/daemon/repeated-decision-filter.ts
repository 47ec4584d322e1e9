import type { DaemonDecisionRecord, DaemonLogRecord } from './daemon-record.js';
import type { RecordSink } from './decision-log.js';

/** Models whose last written decision is remembered (the configured models; a bound all the same). */
const MAX_MODELS = 100_000;

/**
 * Which decisions may be left out when they repeat the model's last written one: `holds`, a plain hold (nothing asked
 * of the provider, nothing noted, no error: the durable sinks); `acted-on-nothing`, also every decision of
 * `run --dry-run` or of a standby daemon (stdout).
 */
export type RepeatableDecisions = 'holds' | 'acted-on-nothing';

export interface RepeatedDecisionFilterOptions {
  readonly leaveOut?: RepeatableDecisions;
  /** Write a repeat anyway once this long passed since the model's last written decision (a heartbeat). */
  readonly repeatEveryMs?: number;
}

function repeatable(r: DaemonDecisionRecord, leaveOut: RepeatableDecisions): boolean {
  if (r.notes?.length || r.error || r.replaced?.length) return false;
  if (leaveOut === 'holds') return r.action === 'hold' && r.acted === 'none';
  return r.acted === 'none' || r.acted === 'dry-run' || r.acted === 'standby';
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
 * A decision stream without repeats: a decision of the `leaveOut` kind that says what the model's last written one
 * said (same action, replicas, reasons, ready, warming and failed counts, role, measured lead time) is left out, unless
 * `repeatEveryMs` passed since that one (by the records' times). Anything that changed, acted, noted or failed passes,
 * and so does every other record. The one filter for stdout (`acted-on-nothing`, no heartbeat) and the durable sinks
 * (`holds`, every 10 ticks: a quiet model at a 5 s tick writes ~1,700 lines a day instead of 17,000).
 */
export class RepeatedDecisionFilter implements RecordSink {
  readonly name: string;
  private readonly last = new Map<string, { sig: string; atMs: number }>();
  private readonly leaveOut: RepeatableDecisions;
  private readonly repeatEveryMs: number;

  constructor(
    private readonly inner: RecordSink,
    opts: RepeatedDecisionFilterOptions = {},
  ) {
    this.name = inner.name;
    this.leaveOut = opts.leaveOut ?? 'acted-on-nothing';
    this.repeatEveryMs = opts.repeatEveryMs ?? Number.POSITIVE_INFINITY;
  }

  write(record: DaemonLogRecord): void | Promise<void> {
    if (record.kind === 'decision') {
      const sig = signature(record);
      const atMs = Date.parse(record.time);
      const prev = this.last.get(record.model);
      const repeat = prev !== undefined && prev.sig === sig && !(atMs - prev.atMs >= this.repeatEveryMs);
      if (repeat && repeatable(record, this.leaveOut)) return;
      this.last.delete(record.model);
      this.last.set(record.model, { sig, atMs });
      if (this.last.size > MAX_MODELS) this.last.delete(this.last.keys().next().value!);
    } else if (record.kind === 'config' && record.event === 'reloaded') {
      // a model removed from the config is forgotten (added again, its first decision is written)
      const removed = record.detail?.removed;
      if (Array.isArray(removed)) for (const model of removed) if (typeof model === 'string') this.last.delete(model);
    }
    return this.inner.write(record);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
