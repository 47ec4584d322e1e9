/** Fixed-capacity FIFO of numbers; pushing into a full buffer drops the oldest. */
export class RingBuffer {
  readonly capacity: number;
  private readonly data: Float64Array;
  private head = 0;
  private count = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`RingBuffer capacity must be an integer >= 1, got ${capacity}`);
    this.capacity = capacity;
    this.data = new Float64Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  push(value: number): void {
    this.data[this.head] = value;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** i = 0 is the oldest element, size - 1 the newest. */
  get(i: number): number {
    return this.data[(this.head - this.count + i + this.capacity * 2) % this.capacity]!;
  }

  /** Newest element, or NaN when empty. */
  last(): number {
    return this.count === 0 ? NaN : this.get(this.count - 1);
  }

  /** Elements oldest first (a copy). */
  toArray(): number[] {
    const out = new Array<number>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.get(i);
    return out;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}
