import type { OutcomeRecord } from './daemon-record.js';

interface Pending {
  readonly ref: string;
  readonly atMs: number;
  readonly from: number;
  readonly to: number;
  readonly capacityBeforePerS: number;
  readonly giveUpAtMs: number;
}

/**
 * Judges each scale-up once its capacity is there: when the model has `to` replicas ready, was the demand then more
 * than the capacity before the scale-up (`from` replicas)? `needed` means the scale-up was in time for real demand,
 * `not-needed` that it was spent on a forecast that did not come. One scale-up per model is followed; a newer one
 * supersedes it.
 */
export class OutcomeTracker {
  private pending: Pending | undefined;

  constructor(
    private readonly model: string,
    private readonly capacityPerReplicaPerS: number,
  ) {}

  /** A scale-up was acted on. Returns the outcome of the one it supersedes, if any. */
  scaleUp(ref: string, atMs: number, from: number, to: number, leadTimeS: number): OutcomeRecord | undefined {
    const old = this.pending;
    this.pending = { ref, atMs, from, to, capacityBeforePerS: from * this.capacityPerReplicaPerS, giveUpAtMs: atMs + Math.max(60, 3 * leadTimeS) * 1000 };
    return old ? this.record(old, atMs, 'superseded', null, `superseded by a scale-up to ${to} before its replicas were ready`) : undefined;
  }

  /** Called every tick with what is ready and the busiest second observed. */
  observe(nowMs: number, readyReplicas: number, observedPeakPerS: number): OutcomeRecord | undefined {
    const p = this.pending;
    if (!p) return undefined;
    if (readyReplicas >= p.to) {
      this.pending = undefined;
      const peak = Number.isFinite(observedPeakPerS) ? observedPeakPerS : null;
      if (peak === null) return this.record(p, nowMs, 'not-needed', null, `ready, but demand at ready time is unknown`);
      const needed = peak > p.capacityBeforePerS;
      return this.record(
        p,
        nowMs,
        needed ? 'needed' : 'not-needed',
        peak,
        `${p.to} ready after ${((nowMs - p.atMs) / 1000).toFixed(0)} s; demand then ${peak.toFixed(2)}/s ${needed ? '>' : '<='} ${p.capacityBeforePerS.toFixed(2)}/s the ${p.from} replicas before could serve`,
      );
    }
    if (nowMs >= p.giveUpAtMs) {
      this.pending = undefined;
      return this.record(p, nowMs, 'not-ready', null, `only ${readyReplicas} of ${p.to} replicas ready ${((nowMs - p.atMs) / 1000).toFixed(0)} s after the decision`);
    }
    return undefined;
  }

  private record(p: Pending, nowMs: number, outcome: OutcomeRecord['outcome'], peak: number | null, message: string): OutcomeRecord {
    return {
      kind: 'outcome',
      time: new Date(nowMs).toISOString(),
      model: this.model,
      ref: p.ref,
      outcome,
      from: p.from,
      to: p.to,
      capacityBeforePerS: Number(p.capacityBeforePerS.toFixed(3)),
      observedPeakPerS: peak === null ? null : Number(peak.toFixed(3)),
      readyAfterS: outcome === 'needed' || outcome === 'not-needed' ? Math.round((nowMs - p.atMs) / 1000) : null,
      message,
    };
  }
}
