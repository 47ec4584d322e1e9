import { runInNewContext } from 'node:vm';
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { MAX_CHECKPOINT_STEPS, StepMemory } from '../src/daemon/model-checkpoint.js';

describe('StepMemory (the steps a model checkpoints)', () => {
  it('keeps the newest max steps oldest first, gaps (NaN) included, and skips a step not after the last', () => {
    const m = new StepMemory(5);
    expect(m.lastStartS).toBeUndefined();
    expect(m.list()).toEqual([]);
    for (let i = 0; i < 12; i++) m.add({ startS: 10 * i, meanPerS: i === 9 ? Number.NaN : i + 0.5, peakPerS: i + 1 });
    m.add({ startS: 110, meanPerS: 99, peakPerS: 99 }); // the last again: skipped
    m.add({ startS: 50, meanPerS: 99, peakPerS: 99 }); // older: skipped
    expect(m.lastStartS).toBe(110);
    expect(m.list()).toEqual([
      { startS: 70, meanPerS: 7.5, peakPerS: 8 },
      { startS: 80, meanPerS: 8.5, peakPerS: 9 },
      { startS: 90, meanPerS: Number.NaN, peakPerS: 10 },
      { startS: 100, meanPerS: 10.5, peakPerS: 11 },
      { startS: 110, meanPerS: 11.5, peakPerS: 12 },
    ]);
    // growing past its first ring (16 steps) and wrapping at max keep the order
    const big = new StepMemory(100);
    for (let i = 0; i < 1000; i++) big.add({ startS: i, meanPerS: i / 3, peakPerS: i / 2 });
    const list = big.list();
    expect(list.length).toBe(100);
    expect(list.map((s) => s.startS)).toEqual(Array.from({ length: 100 }, (_, i) => 900 + i));
    expect(list[42]).toEqual({ startS: 942, meanPerS: 942 / 3, peakPerS: 471 });
  });

  it('holds its steps as numbers, not an object per step: under 8 bytes of JS heap a step once full', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const memories = 40;
    gc();
    const before = getHeapStatistics().used_heap_size;
    const kept: StepMemory[] = [];
    for (let k = 0; k < memories; k++) {
      const m = new StepMemory();
      for (let i = 0; i < MAX_CHECKPOINT_STEPS + 100; i++)
        m.add({ startS: 1_796_673_000 + 10 * i, meanPerS: (i % 7) + 0.25, peakPerS: (i % 11) + 0.5 });
      kept.push(m);
    }
    gc();
    const perStep = (getHeapStatistics().used_heap_size - before) / (memories * MAX_CHECKPOINT_STEPS);
    expect(kept.every((m) => m.list().length === MAX_CHECKPOINT_STEPS)).toBe(true);
    expect(perStep).toBeLessThan(8);
  });
});
