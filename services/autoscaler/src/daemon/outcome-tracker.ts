import type { OutcomeRecord } from './daemon-record.js';

interface Pending {
  readonly ref: string;
  readonly atMs: number;
  readonly from: number;
  readonly to: number;
  readonly capacityBeforePerS: number;
  /** Not ready by then: late (never ready). Ready and not needed by then: not-needed. */
  readonly judgeByMs: number;
  /** First tick whose busiest second exceeded the capacity before the scale-up. */
  neededAtMs?: number;
  neededPeakPerS?: number;
  /** When `to` replicas were ready. */
  readyAtMs?: number;
}

/** Scale-ups followed per model at once (older ones are judged first; a model scaling up every tick stays bounded). */
const MAX_FOLLOWED = 32;

/**
 * Judges every scale-up, exactly once, as one of:
 * - `ready-ahead`: its replicas were ready before the load needed them (demand exceeded the capacity before the
 *   scale-up only after they were ready, within the judging window);
 * - `late`: the load needed them first (or they were never ready within the window);
 * - `not-needed`: ready, and the demand never exceeded the capacity before within the window;
 * - `superseded`: a newer scale-up was made before its replicas were ready (the newer one is judged instead).
 * The judging window is max(60 s, 3 lead times) from the decision, and at least 10 s after ready.
 */
export class OutcomeTracker {
  private followed: Pending[] = [];

  constructor(
    private readonly model: string,
    private readonly capacityPerReplicaPerS: number,
  ) {}

  /** A scale-up was acted on. Returns the outcomes of those it supersedes (not ready yet) and of any dropped for room. */
  scaleUp(ref: string, atMs: number, from: number, to: number, leadTimeS: number): OutcomeRecord[] {
    const out: OutcomeRecord[] = [];
    const keep: Pending[] = [];
    for (const p of this.followed) {
      if (p.readyAtMs === undefined)
        out.push(
          this.record(
            p,
            atMs,
            'superseded',
            null,
            `superseded by a scale-up to ${to} before its ${p.to} replicas were ready`,
          ),
        );
      else keep.push(p);
    }
    while (keep.length >= MAX_FOLLOWED) {
      const p = keep.shift()!;
      out.push(
        this.record(
          p,
          atMs,
          'not-needed',
          null,
          `ready; demand had not exceeded ${p.capacityBeforePerS.toFixed(2)}/s when ${MAX_FOLLOWED} newer scale-ups were followed`,
        ),
      );
    }
    keep.push({
      ref,
      atMs,
      from,
      to,
      capacityBeforePerS: from * this.capacityPerReplicaPerS,
      judgeByMs: atMs + Math.max(60, 3 * leadTimeS) * 1000,
    });
    this.followed = keep;
    return out;
  }

  /** Called every tick with what is ready and the busiest second observed. Returns the scale-ups judged now. */
  observe(nowMs: number, readyReplicas: number, observedPeakPerS: number): OutcomeRecord[] {
    const out: OutcomeRecord[] = [];
    const peak = Number.isFinite(observedPeakPerS) ? observedPeakPerS : null;
    this.followed = this.followed.filter((p) => {
      const over = peak !== null && peak > p.capacityBeforePerS;
      const s = (ms: number): string => ((ms - p.atMs) / 1000).toFixed(0);
      if (p.readyAtMs === undefined) {
        if (over && p.neededAtMs === undefined) {
          p.neededAtMs = nowMs;
          p.neededPeakPerS = peak;
        }
        if (readyReplicas >= p.to) {
          p.readyAtMs = nowMs;
          if (p.neededAtMs !== undefined) {
            out.push(
              this.record(
                p,
                nowMs,
                'late',
                p.neededPeakPerS!,
                `needed ${s(p.neededAtMs)} s after the decision (${p.neededPeakPerS!.toFixed(2)}/s > ${p.capacityBeforePerS.toFixed(2)}/s the ${p.from} replicas before could serve), ${p.to} ready only after ${s(nowMs)} s`,
              ),
            );
            return false;
          }
        } else if (nowMs >= p.judgeByMs) {
          out.push(
            this.record(
              p,
              nowMs,
              'late',
              p.neededPeakPerS ?? null,
              `only ${readyReplicas} of ${p.to} replicas ready ${s(nowMs)} s after the decision`,
            ),
          );
          return false;
        }
        if (p.readyAtMs === undefined) return true;
      }
      if (over) {
        out.push(
          this.record(
            p,
            nowMs,
            'ready-ahead',
            peak,
            `${p.to} ready after ${s(p.readyAtMs)} s; the load needed them ${s(nowMs)} s after the decision (${peak.toFixed(2)}/s > ${p.capacityBeforePerS.toFixed(2)}/s the ${p.from} replicas before could serve)`,
          ),
        );
        return false;
      }
      if (nowMs >= Math.max(p.judgeByMs, p.readyAtMs + 10_000)) {
        out.push(
          this.record(
            p,
            nowMs,
            'not-needed',
            peak,
            `${p.to} ready after ${s(p.readyAtMs)} s; demand stayed at or below ${p.capacityBeforePerS.toFixed(2)}/s (the ${p.from} replicas before) for ${s(nowMs)} s`,
          ),
        );
        return false;
      }
      return true;
    });
    return out;
  }

  private record(
    p: Pending,
    nowMs: number,
    outcome: OutcomeRecord['outcome'],
    peak: number | null,
    message: string,
  ): OutcomeRecord {
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
      readyAfterS: p.readyAtMs === undefined ? null : Math.round((p.readyAtMs - p.atMs) / 1000),
      message,
    };
  }
}
