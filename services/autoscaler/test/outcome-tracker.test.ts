import { describe, expect, it } from 'vitest';
import { OutcomeTracker } from '../src/daemon/outcome-tracker.js';

// Issue 19: every scale-up is exactly one of ready-ahead / late / not-needed / superseded, judged once.

const T = 1_800_000_000_000;
const s = (n: number): number => T + n * 1000;

describe('OutcomeTracker', () => {
  it('ready-ahead: ready first, then the load needs the replicas', () => {
    const t = new OutcomeTracker('m', 10);
    expect(t.scaleUp('m@1', s(0), 1, 2, 5)).toEqual([]);
    expect(t.observe(s(1), 1, 8)).toEqual([]);
    expect(t.observe(s(5), 2, 9)).toEqual([]); // ready, demand still within the 1 replica before
    const [o] = t.observe(s(8), 2, 15);
    expect(o).toMatchObject({
      ref: 'm@1',
      outcome: 'ready-ahead',
      readyAfterS: 5,
      observedPeakPerS: 15,
      capacityBeforePerS: 10,
    });
    expect(t.observe(s(9), 2, 15)).toEqual([]); // judged once
  });

  it('late: the load needs them before they are ready, or they never are', () => {
    const t = new OutcomeTracker('m', 10);
    t.scaleUp('m@1', s(0), 1, 2, 5);
    expect(t.observe(s(2), 1, 12)).toEqual([]);
    expect(t.observe(s(6), 2, 11)).toMatchObject([{ outcome: 'late', readyAfterS: 6, observedPeakPerS: 12 }]);
    const u = new OutcomeTracker('m', 10);
    u.scaleUp('m@2', s(0), 1, 3, 5);
    expect(u.observe(s(59), 2, 1)).toEqual([]);
    expect(u.observe(s(60), 2, 1)).toMatchObject([
      { outcome: 'late', readyAfterS: null, message: expect.stringContaining('only 2 of 3') },
    ]);
  });

  it('not-needed: ready, and the demand stays within the capacity before for the judging window', () => {
    const t = new OutcomeTracker('m', 10);
    t.scaleUp('m@1', s(0), 1, 2, 5);
    t.observe(s(5), 2, 3);
    expect(t.observe(s(59), 2, 3)).toEqual([]);
    expect(t.observe(s(60), 2, 3)).toMatchObject([{ outcome: 'not-needed', readyAfterS: 5 }]);
  });

  it('superseded only while not ready; a ready one is still followed to its own outcome', () => {
    const t = new OutcomeTracker('m', 10);
    t.scaleUp('m@1', s(0), 1, 2, 5);
    expect(t.scaleUp('m@2', s(2), 1, 3, 5)).toMatchObject([{ ref: 'm@1', outcome: 'superseded' }]);
    t.observe(s(6), 3, 5); // m@2 ready
    expect(t.scaleUp('m@3', s(7), 3, 4, 5)).toEqual([]);
    expect(t.observe(s(8), 3, 25)).toMatchObject([{ ref: 'm@2', outcome: 'ready-ahead' }]);
  });

  it('every scale-up gets exactly one outcome, and the followed list stays bounded', () => {
    const t = new OutcomeTracker('m', 1);
    const seen = new Map<string, number>();
    const add = (os: { ref: string }[]): void => {
      for (const o of os) seen.set(o.ref, (seen.get(o.ref) ?? 0) + 1);
    };
    for (let i = 0; i < 200; i++) {
      add(t.scaleUp(`m@${i}`, s(i), i, i + 1, 5));
      add(t.observe(s(i) + 500, i + 1, i % 3 === 0 ? i + 5 : 0));
    }
    for (let k = 0; k < 100; k++) add(t.observe(s(300 + k * 10), 1000, 0));
    expect(seen.size).toBe(200);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  });
});
