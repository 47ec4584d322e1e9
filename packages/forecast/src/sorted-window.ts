import { RingBuffer } from './ring-buffer.js';

/**
 * The last `capacity` values, kept both in arrival order (to know which one leaves) and sorted
 * (so any quantile is O(1) to read). The sorted values sit in the middle of a buffer twice as
 * large, so an insert or a removal shifts whichever side of it is shorter (a quarter of the
 * window on average); no re-sorting, no allocation.
 */
export class SortedWindow {
  readonly capacity: number;
  private readonly fifo: RingBuffer;
  private readonly buf: Float64Array;
  /** Sorted values are buf[start .. start + count). */
  private start: number;
  private count = 0;

  constructor(capacity: number) {
    this.fifo = new RingBuffer(capacity);
    this.capacity = capacity;
    this.buf = new Float64Array(2 * capacity + 2);
    this.start = capacity + 1;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a finite value (others are ignored), dropping the oldest when full. */
  push(value: number): void {
    if (!Number.isFinite(value)) return;
    if (this.count === this.capacity) this.removeAt(this.lowerBound(this.fifo.get(0)));
    this.fifo.push(value);
    this.insertAt(this.lowerBound(value), value);
  }

  /**
   * Quantile with linear interpolation between order statistics (R type 7, the definition of
   * simple-statistics' `quantileSorted`, which the tests check it against); NaN when empty.
   */
  quantile(p: number): number {
    const n = this.count;
    if (n === 0) return NaN;
    const q = p < 0 ? 0 : p > 1 ? 1 : p;
    const idx = (n - 1) * q;
    const lo = Math.floor(idx);
    const hi = Math.min(n - 1, lo + 1);
    const a = this.buf;
    const s = this.start;
    return a[s + lo]! + (idx - lo) * (a[s + hi]! - a[s + lo]!);
  }

  clear(): void {
    this.fifo.clear();
    this.count = 0;
    this.start = this.capacity + 1;
  }

  /** Values in ascending order (a copy). */
  toSortedArray(): number[] {
    return Array.from(this.buf.subarray(this.start, this.start + this.count));
  }

  /** Rank (0-based) of the first value >= v. */
  private lowerBound(v: number): number {
    const a = this.buf;
    const s = this.start;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[s + mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private insertAt(rank: number, value: number): void {
    const a = this.buf;
    if (this.start === 0 || this.start + this.count === a.length) this.recenter();
    const s = this.start;
    if (rank < this.count - rank) {
      // shift the smaller values one slot left
      move(a, s - 1, s, rank);
      this.start = s - 1;
      a[s - 1 + rank] = value;
    } else {
      move(a, s + rank + 1, s + rank, this.count - rank);
      a[s + rank] = value;
    }
    this.count++;
  }

  private removeAt(rank: number): void {
    const a = this.buf;
    const s = this.start;
    if (rank < this.count - 1 - rank) {
      move(a, s + 1, s, rank);
      this.start = s + 1;
    } else {
      move(a, s + rank, s + rank + 1, this.count - 1 - rank);
    }
    this.count--;
  }

  /** Moves the values back to the middle of the buffer (rare: only after many one-sided shifts). */
  private recenter(): void {
    const target = (this.buf.length - this.count) >>> 1;
    this.buf.copyWithin(target, this.start, this.start + this.count);
    this.start = target;
  }
}

/** Copies a[from .. from + n) to a[to ..] (overlap-safe): a loop for short runs, memmove for long ones. */
function move(a: Float64Array, to: number, from: number, n: number): void {
  if (n <= 0) return;
  if (n > 24) {
    a.copyWithin(to, from, from + n);
  } else if (to < from) {
    for (let i = 0; i < n; i++) a[to + i] = a[from + i]!;
  } else {
    for (let i = n - 1; i >= 0; i--) a[to + i] = a[from + i]!;
  }
}
