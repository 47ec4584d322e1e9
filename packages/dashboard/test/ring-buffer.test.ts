import { describe, expect, it } from 'vitest';
import { RingBuffer } from '../src/feed/ring-buffer.js';

describe('RingBuffer', () => {
  it('keeps the newest `capacity` items, oldest first', () => {
    const ring = new RingBuffer<number>(3);
    expect(ring.toArray()).toEqual([]);
    for (let i = 1; i <= 7; i += 1) ring.push(i);
    expect(ring.toArray()).toEqual([5, 6, 7]);
    expect(ring.size).toBe(3);
  });

  it('matches a sliced array for every length up to 3x capacity', () => {
    for (let capacity = 1; capacity <= 5; capacity += 1) {
      const ring = new RingBuffer<number>(capacity);
      const all: number[] = [];
      for (let i = 0; i < capacity * 3; i += 1) {
        ring.push(i);
        all.push(i);
        expect(ring.toArray()).toEqual(all.slice(-capacity));
      }
    }
  });

  it('rejects a capacity that is not a positive integer', () => {
    expect(() => new RingBuffer(0)).toThrow(/capacity/);
    expect(() => new RingBuffer(1.5)).toThrow(/capacity/);
  });
});
