import { BURST_HISTORY_VERSION, BURST_MEMORY, QUIET_WINDOW_TICKS, type BurstHistory } from './burst-history.js';

/** The quiet level is recomputed every this many ticks (a sort of the window; cheap per tick for 1,000 models). */
const QUIET_EVERY_TICKS = 12;
/** A burst ends after this many consecutive quiet ticks. */
const QUIET_TICKS_TO_END = 2;
/**
 * A pause between two ticks longer than this many tick lengths is an outage (a restart, a takeover), not a tick: the
 * tick length is kept, and a burst starting at the next tick starts one tick before it, not at the outage's start.
 */
const OUTAGE_TICKS = 4;
/** Bursts needed before their distributions are trusted (Azure Functions' "representative histogram"). */
export const MIN_BURSTS = 6;

/**
 * What the burst history says at one tick, for one lead time and miss cost: replica counts the cost-aware rules ask
 * for. The input `plan()` reads (it keeps no burst state of its own).
 */
export interface BurstOutlook {
  /** Completed bursts remembered; the rules apply from {@link MIN_BURSTS}. */
  readonly bursts: number;
  /** Share of recent ticks in a burst (0-1): intermittent traffic has a small one. */
  readonly busyShare: number;
  readonly inBurst: boolean;
  /**
   * Keep-alive (ski rental): replicas worth holding now. A held replica costs one lead time of replica-seconds until a
   * release could be undone; it saves, if the next burst starts within that lead time (probability from the gap
   * histogram, given the time already idle), the requests it would serve while a replica asked for late is still
   * starting (burst-length histogram), each worth the miss cost. Held while saving >= cost. The probability counts a
   * burst due in the lead time after that as well: the pre-warm would ask for that replica again within one lead
   * time, and holding it until then costs less than starting it again.
   */
  readonly keepReplicas: number;
  /** Pre-warm: replicas worth asking for now because the gap histogram says a burst is due one lead time from now. */
  readonly preWarmReplicas: number;
  /**
   * During a burst: the most replicas worth asking for now (capacity asked for now is ready one lead time later;
   * worth only what the burst-length and burst-peak histograms say will remain then). Infinity outside a burst.
   */
  readonly panicCapReplicas: number;
  /** Probability that the next burst starts within the coming lead time (keep), and within the lead time after it (pre-warm). */
  readonly dueWithinLead: number;
  readonly dueAfterLead: number;
  /** Probability that the burst under way outlasts one more lead time (NaN outside a burst). */
  readonly remainsAfterLead: number;
}

/**
 * Learns one model's bursts from the busiest second of each planner tick: a tick is busy when its peak is above
 * max(2 x the median tick peak of the last 20 min, that median + one replica's capacity); a burst is a run of busy
 * ticks ended by two quiet ones. Remembers the last 64 bursts' peaks, lengths and the gaps between them, and answers
 * their quantiles (Shahrad et al., "Serverless in the Wild", ATC 2020: keep-alive and pre-warm windows from the
 * idle-time histogram, here per model and per replica count). Bounded memory, deterministic, no clock.
 */
export class BurstTracker {
  private readonly capacityPerS: number;
  private readonly quiet = new Float64Array(QUIET_WINDOW_TICKS);
  private quietN = 0;
  private quietAt = 0;
  private quietMedian = 0;
  private ticksSinceQuiet = QUIET_EVERY_TICKS;
  /** Cached mean share of a lead time a late replica would have served, for `servedForLeadS`. */
  private served = 1;
  private servedForLeadS = Number.NaN;
  private readonly peaks: number[] = [];
  private readonly gaps: number[] = [];
  private readonly lengths: number[] = [];
  private sortedPeaks: number[] = [];
  private sortedGaps: number[] = [];
  private sortedLengths: number[] = [];
  private inBurst = false;
  private burstStartS = Number.NaN;
  private burstLastBusyS = Number.NaN;
  private burstPeak = 0;
  private quietRun = 0;
  private lastEndS = Number.NEGATIVE_INFINITY;
  private lastTickS = Number.NaN;
  private tickS = 0;
  /** Exponentially weighted share of busy ticks (half-life about 200 ticks). */
  private busyShare = 0;

  constructor(capacityPerS: number) {
    this.capacityPerS = capacityPerS;
  }

  /** Feeds one tick: its busiest second (requests/s). Non-finite peaks are skipped. */
  observe(nowS: number, peakPerS: number): void {
    if (!Number.isFinite(peakPerS) || peakPerS < 0 || !(nowS > this.lastTickS || Number.isNaN(this.lastTickS))) return;
    const sinceS = Number.isNaN(this.lastTickS) ? 0 : nowS - this.lastTickS;
    const tickS = this.tickS > 0 && sinceS > OUTAGE_TICKS * this.tickS ? this.tickS : sinceS;
    if (tickS > 0) this.tickS = tickS;
    this.lastTickS = nowS;
    const median = this.quietMedian;
    const threshold = Math.max(2 * median, median + this.capacityPerS);
    this.pushQuiet(peakPerS);
    const busy = peakPerS > threshold;
    this.busyShare += ((busy ? 1 : 0) - this.busyShare) / 300;
    if (busy) {
      if (!this.inBurst) {
        this.inBurst = true;
        this.burstStartS = nowS - tickS;
        this.burstPeak = 0;
        if (Number.isFinite(this.lastEndS)) push(this.gaps, Math.max(0, this.burstStartS - this.lastEndS));
      }
      this.burstLastBusyS = nowS;
      this.quietRun = 0;
      if (peakPerS > this.burstPeak) this.burstPeak = peakPerS;
    } else if (this.inBurst && ++this.quietRun >= QUIET_TICKS_TO_END) {
      this.inBurst = false;
      this.lastEndS = this.burstLastBusyS;
      push(this.peaks, this.burstPeak);
      push(this.lengths, Math.max(0, this.burstLastBusyS - this.burstStartS));
      this.sortHistory();
    }
  }

  private sortHistory(): void {
    this.sortedPeaks = [...this.peaks].sort(byValue);
    this.sortedGaps = [...this.gaps].sort(byValue);
    this.sortedLengths = [...this.lengths].sort(byValue);
    this.servedForLeadS = Number.NaN;
  }

  /** What the tracker learnt, as plain JSON (see BurstHistory); `fromHistory` restores it exactly. */
  toHistory(): BurstHistory {
    const n = this.quietN;
    const start = n < QUIET_WINDOW_TICKS ? 0 : this.quietAt;
    const quietPeaksPerS: number[] = [];
    for (let i = 0; i < n; i++) quietPeaksPerS.push(this.quiet[(start + i) % QUIET_WINDOW_TICKS]!);
    return {
      v: BURST_HISTORY_VERSION,
      quietPeaksPerS,
      quietMedianPerS: this.quietMedian,
      ticksSinceQuiet: this.ticksSinceQuiet,
      peaksPerS: this.peaks.slice(),
      lengthsS: this.lengths.slice(),
      gapsS: this.gaps.slice(),
      busyShare: this.busyShare,
      tickS: this.tickS,
      lastTickS: Number.isNaN(this.lastTickS) ? null : this.lastTickS,
      lastEndS: Number.isFinite(this.lastEndS) ? this.lastEndS : null,
      burst: this.inBurst
        ? {
            startS: this.burstStartS,
            lastBusyS: this.burstLastBusyS,
            peakPerS: this.burstPeak,
            quietRun: this.quietRun,
          }
        : null,
    };
  }

  /**
   * A tracker that goes on from a saved history (read it with `readBurstHistory` first). The capacity is the model's
   * current one: the history is in requests/s, so a changed capacity only changes the replica counts asked for.
   */
  static fromHistory(capacityPerS: number, h: BurstHistory): BurstTracker {
    const t = new BurstTracker(capacityPerS);
    const q = h.quietPeaksPerS.slice(-QUIET_WINDOW_TICKS);
    t.quiet.set(q);
    t.quietN = q.length;
    t.quietAt = q.length % QUIET_WINDOW_TICKS;
    t.quietMedian = h.quietMedianPerS;
    t.ticksSinceQuiet = h.ticksSinceQuiet;
    t.peaks.push(...h.peaksPerS.slice(-BURST_MEMORY));
    t.lengths.push(...h.lengthsS.slice(-BURST_MEMORY));
    t.gaps.push(...h.gapsS.slice(-BURST_MEMORY));
    t.sortHistory();
    t.busyShare = h.busyShare;
    t.tickS = h.tickS;
    t.lastTickS = h.lastTickS ?? Number.NaN;
    t.lastEndS = h.lastEndS ?? Number.NEGATIVE_INFINITY;
    if (h.burst) {
      t.inBurst = true;
      t.burstStartS = h.burst.startS;
      t.burstLastBusyS = h.burst.lastBusyS;
      t.burstPeak = h.burst.peakPerS;
      t.quietRun = h.burst.quietRun;
    }
    return t;
  }

  /**
   * The outlook at `nowS` for a lead time, a replica capacity and a miss cost (one missed request is worth serving
   * `missCostServedRequests` requests: missCost / capacity replica-seconds).
   */
  outlook(nowS: number, leadS: number, missCostServedRequests: number, observedPeakPerS: number): BurstOutlook {
    const n = this.sortedPeaks.length;
    const cap = this.capacityPerS;
    const lead = Math.max(1, leadS);
    // Share of a lead time a late replica would have served: mean over bursts of min(length + one tick, lead) / lead.
    if (this.servedForLeadS !== lead) {
      let served = 0;
      for (const l of this.sortedLengths) served += Math.min(lead, l + this.tickS) / lead;
      this.served = n > 0 ? served / n : 1;
      this.servedForLeadS = lead;
    }
    const f = this.served;
    const idle = this.inBurst ? 0 : nowS - this.lastEndS;
    const dueWithinLead = this.inBurst ? 1 : conditional(this.sortedGaps, idle, idle + lead);
    const dueAfterLead = this.inBurst
      ? 1
      : conditional(this.sortedGaps, idle + lead, idle + 2 * lead) * (1 - dueWithinLead);
    const countFor = (p: number): number => {
      const weight = p * f * missCostServedRequests;
      if (!(weight >= 1) || n === 0) return 0;
      // Replica k is worth it while P(burst peak > (k - 1) x capacity) >= 1 / weight: the j-th largest peak, j = ceil(n / weight).
      const j = Math.max(1, Math.ceil(n / weight));
      return Math.ceil(this.sortedPeaks[n - j]! / cap - 1e-9);
    };
    let remainsAfterLead = Number.NaN;
    let panicCap = Number.POSITIVE_INFINITY;
    if (this.inBurst) {
      const elapsed = nowS - this.burstStartS;
      remainsAfterLead = survival(this.sortedLengths, elapsed + lead, elapsed);
      const own = Math.ceil(Math.max(0, observedPeakPerS, this.burstPeak) / cap - 1e-9);
      panicCap =
        remainsAfterLead * missCostServedRequests >= 1
          ? Math.max(own, countFor(remainsAfterLead / Math.max(f, 1e-9)))
          : countFor(1);
    }
    return {
      bursts: n,
      busyShare: this.busyShare,
      inBurst: this.inBurst,
      // Kept through the pre-warm's horizon too: a replica the pre-warm would ask for again within one lead time is
      // held until then (less than a lead time of replica-seconds) rather than released and started again (a whole
      // start, and its risk). NASA 1-s: 13.5 % fewer violating requests for 1.1 % more cost, below the frontier.
      keepReplicas: countFor(dueWithinLead + dueAfterLead),
      preWarmReplicas: countFor(dueAfterLead),
      panicCapReplicas: panicCap,
      dueWithinLead,
      dueAfterLead,
      remainsAfterLead,
    };
  }

  private pushQuiet(v: number): void {
    this.quiet[this.quietAt] = v;
    this.quietAt = (this.quietAt + 1) % QUIET_WINDOW_TICKS;
    if (this.quietN < QUIET_WINDOW_TICKS) this.quietN++;
    if (++this.ticksSinceQuiet >= QUIET_EVERY_TICKS || this.quietN < QUIET_EVERY_TICKS) {
      this.ticksSinceQuiet = 0;
      const sorted = this.quiet.slice(0, this.quietN).sort();
      this.quietMedian = sorted[this.quietN >> 1]!;
    }
  }
}

/** P(x < b | x >= a) over a sorted sample (0 when nothing that long was seen). */
function conditional(sorted: readonly number[], a: number, b: number): number {
  const atLeast = sorted.length - lowerBound(sorted, a);
  if (atLeast === 0) return 0;
  const beyond = sorted.length - lowerBound(sorted, b);
  return (atLeast - beyond) / atLeast;
}

/** P(x >= b | x >= a) over a sorted sample (0 when nothing that long was seen). */
function survival(sorted: readonly number[], b: number, a: number): number {
  const atLeast = sorted.length - lowerBound(sorted, a);
  return atLeast === 0 ? 0 : (sorted.length - lowerBound(sorted, b)) / atLeast;
}

function byValue(a: number, b: number): number {
  return a - b;
}

function push(ring: number[], v: number): void {
  ring.push(v);
  if (ring.length > BURST_MEMORY) ring.shift();
}

function lowerBound(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
