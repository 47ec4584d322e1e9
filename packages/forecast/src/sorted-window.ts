/**
 * The last `capacity` values, kept both in arrival order (to know which one leaves) and sorted
 * (so any quantile is O(1) to read). The sorted values sit inside a buffer half as large again,
 * so an insert or a removal shifts whichever side of it is shorter (a quarter of the window on
 * average); no re-sorting, no allocation after the first push. Values are stored as 32-bit
 * floats (scores need no more precision), which keeps a window at ~10 bytes per value.
 */
export class SortedWindow {
  readonly capacity: number;
  /** Arrival order (circular); allocated on the first push, like `buf`. */
  private fifo: Float32Array = EMPTY;
  private head = 0;
  private buf: Float32Array = EMPTY;
  /** Sorted values are buf[start .. start + count). */
  private start = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`SortedWindow capacity must be an integer >= 1, got ${capacity}`);
    this.capacity = capacity;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a finite value (others are ignored), dropping the oldest when full. */
  push(value: number): void {
    if (!Number.isFinite(value)) return;
    const v = Math.fround(value);
    if (this.fifo.length === 0) {
      this.fifo = new Float32Array(this.capacity);
      this.buf = new Float32Array(this.capacity + (this.capacity >>> 1) + 2);
      this.start = (this.buf.length - 0) >>> 1;
    }
    if (this.count === this.capacity) {
      // the oldest value sits where the new one goes in the circular fifo
      this.removeAt(this.lowerBound(this.fifo[this.head]!));
    }
    this.fifo[this.head] = v;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.insertAt(this.lowerBound(v), v);
  }

  /**
   * Quantile with linear interpolation between order statistics (R type 7, the definition of
   * simple-statistics' `quantileSorted`, which the tests check it against); NaN when empty.
   */
  quantile(p: number): number {
    const n = this.count;
    if (n === 0) return NaN;
    const q = Math.min(Math.max(p, 0), 1);
    const idx = (n - 1) * q;
    const lo = Math.floor(idx);
    const hi = Math.min(n - 1, lo + 1);
    const a = this.buf;
    const s = this.start;
    return a[s + lo]! + (idx - lo) * (a[s + hi]! - a[s + lo]!);
  }

  /** Empties the window and gives its memory back. */
  clear(): void {
    this.fifo = EMPTY;
    this.buf = EMPTY;
    this.head = 0;
    this.count = 0;
    this.start = 0;
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
    const leftward = rank < this.count - rank;
    if ((leftward && this.start === 0) || (!leftward && this.start + this.count === a.length)) this.recenter();
    const s = this.start;
    if (leftward) {
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

  /** Moves the values back to the middle of the buffer (after many one-sided shifts). */
  private recenter(): void {
    const target = (this.buf.length - this.count) >>> 1;
    this.buf.copyWithin(target, this.start, this.start + this.count);
    this.start = target;
  }
}

const EMPTY = new Float32Array(0);

/** Copies a[from .. from + n) to a[to ..] (overlap-safe): a loop for short runs, memmove for long ones. */
function move(a: Float32Array, to: number, from: number, n: number): void {
  if (n <= 0) return;
  if (n > 24) {
    a.copyWithin(to, from, from + n);
  } else if (to < from) {
    for (let i = 0; i < n; i++) a[to + i] = a[from + i]!;
  } else {
    for (let i = n - 1; i >= 0; i--) a[to + i] = a[from + i]!;
  }
}
