import { describe, expect, it } from 'vitest';
import {
  BurstHistoryError,
  BurstTracker,
  MIN_BURSTS,
  readBurstHistory,
  type BurstHistory,
  type BurstOutlook,
} from '../src/index.js';

/** Bursts of 80/s for 20 s every 300 s, quiet 0.5/s between, one tick every 5 s. */
const demand = (s: number): number => (s % 300 < 20 ? 80 : 0.5);

function feed(t: BurstTracker, fromS: number, toS: number): void {
  for (let s = fromS; s < toS; s += 5) t.observe(s, demand(s));
}

/** Through JSON, as a checkpoint stores it. */
const stored = (t: BurstTracker): unknown => JSON.parse(JSON.stringify(t.toHistory()));

/** The outlooks of every tick of [fromS, toS), for a 45-s lead, miss cost 30. */
function outlooks(t: BurstTracker, fromS: number, toS: number): BurstOutlook[] {
  const out: BurstOutlook[] = [];
  for (let s = fromS; s < toS; s += 5) {
    t.observe(s, demand(s));
    out.push(t.outlook(s, 45, 30, demand(s)));
  }
  return out;
}

describe('BurstHistory: the burst tracker as plain JSON', () => {
  it.each([
    ['between bursts', 300 * 20 + 150],
    ['in a burst', 300 * 20 + 10],
    ['while the quiet window is still filling', 300 * 3 + 10],
  ])('round trip %s: the restored tracker answers exactly what the original does from then on', (_, atS) => {
    const original = new BurstTracker(10);
    feed(original, 0, atS);
    const restored = BurstTracker.fromHistory(10, readBurstHistory(stored(original)));
    expect(restored.toHistory()).toEqual(original.toHistory());
    const a = outlooks(original, atS, atS + 3000);
    const b = outlooks(restored, atS, atS + 3000);
    expect(b).toEqual(a);
    expect(restored.toHistory()).toEqual(original.toHistory());
  });

  it('a restored tracker keeps the burst rules where a fresh one has to learn them again', () => {
    const original = new BurstTracker(10);
    const atS = 300 * 20 + 150;
    feed(original, 0, atS);
    const restored = BurstTracker.fromHistory(10, readBurstHistory(stored(original)));
    const fresh = new BurstTracker(10);
    // 60 s before the next burst is due: the learnt gaps say pre-warm; a fresh tracker knows nothing yet
    const dueS = 300 * 21;
    for (let s = atS + 5; s < dueS - 60; s += 5) {
      restored.observe(s, demand(s));
      fresh.observe(s, demand(s));
    }
    const r = restored.outlook(dueS - 60, 45, 30, 0.5);
    const f = fresh.outlook(dueS - 60, 45, 30, 0.5);
    expect(r.bursts).toBeGreaterThanOrEqual(MIN_BURSTS);
    expect(r.preWarmReplicas).toBe(8);
    expect(f.bursts).toBe(0);
    expect(f.preWarmReplicas).toBe(0);
  });

  it('a pause of many ticks (a restart) is not one long tick: a burst right after it starts one tick before', () => {
    const t = new BurstTracker(10);
    feed(t, 0, 300 * 20 + 150); // quiet at the end, last tick at 6145
    const restored = BurstTracker.fromHistory(10, readBurstHistory(stored(t)));
    const backS = 300 * 20 + 150 + 600; // ten minutes later, in a burst
    restored.observe(backS, 80);
    restored.observe(backS + 5, 0.5);
    restored.observe(backS + 10, 0.5);
    const h = restored.toHistory();
    expect(h.tickS).toBe(5);
    expect(h.lengthsS.at(-1)).toBe(5); // one busy tick, not the 600-s pause
    expect(h.gapsS.at(-1)).toBe(backS - 5 - (300 * 20 + 15)); // from the last burst's end (its busy tick at 6015)
  });

  const good = (): Record<string, unknown> => {
    const t = new BurstTracker(10);
    feed(t, 0, 300 * 8 + 10);
    return stored(t) as Record<string, unknown>;
  };

  it.each<[string, (h: Record<string, unknown>) => unknown, string]>([
    ['not an object', () => 'bursts', '(root)'],
    ['an array', () => [], '(root)'],
    ['another version', (h) => ({ ...h, v: 2 }), 'v'],
    ['no version', (h) => ({ ...h, v: undefined }), 'v'],
    [
      'a peak that was NaN (null in JSON)',
      (h) => ({ ...h, peaksPerS: [...(h.peaksPerS as number[]), null] }),
      'peaksPerS[8]',
    ],
    ['a negative gap', (h) => ({ ...h, gapsS: [-1] }), 'gapsS[0]'],
    ['lengths that do not pair with the peaks', (h) => ({ ...h, lengthsS: [20] }), 'lengthsS'],
    ['more bursts than are kept', (h) => ({ ...h, gapsS: new Array(65).fill(1) }), 'gapsS'],
    ['a quiet window too long', (h) => ({ ...h, quietPeaksPerS: new Array(241).fill(1) }), 'quietPeaksPerS'],
    ['a busy share above 1', (h) => ({ ...h, busyShare: 1.5 }), 'busyShare'],
    ['a string tick', (h) => ({ ...h, tickS: '5' }), 'tickS'],
    ['bursts ended but no end time', (h) => ({ ...h, lastEndS: null }), 'lastEndS'],
    ['a truncated burst under way', (h) => ({ ...h, burst: { startS: 1 } }), 'burst.lastBusyS'],
    [
      'a burst that ends before it starts',
      (h) => ({ ...h, burst: { ...(h.burst as object), lastBusyS: 0 } }),
      'burst.lastBusyS',
    ],
    ['a missing field (partial write)', (h) => ({ ...h, quietMedianPerS: undefined }), 'quietMedianPerS'],
  ])('corrupt input (%s) is refused with a BurstHistoryError naming the field', (_, corrupt, field) => {
    const h = good();
    expect(h.burst).not.toBeNull(); // taken in a burst, so the burst fields are there to corrupt
    let err: unknown;
    try {
      readBurstHistory(corrupt(h));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BurstHistoryError);
    expect((err as BurstHistoryError).field).toBe(field);
    expect((err as BurstHistoryError).code).toBe('E_BURST_HISTORY');
    expect((err as Error).message).toContain(field);
  });

  it('a good history reads back as it was written', () => {
    const h = good();
    const read: BurstHistory = readBurstHistory(h);
    expect(read).toEqual(h);
  });
});
