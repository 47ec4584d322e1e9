/**
 * The replicas of one simulated model: a count of ready ones and a FIFO of warming ones (all share one lead
 * time, so request order is ready order). Costs are counted by the engine from `alive`.
 */
export class ReplicaPool {
  ready = 0;
  private warmingReadyAtS: number[] = [];
  private head = 0;

  get warming(): number {
    return this.warmingReadyAtS.length - this.head;
  }

  get alive(): number {
    return this.ready + this.warming;
  }

  /** Moves replicas whose warm-up finished by second `t` to ready. */
  promote(t: number): void {
    const q = this.warmingReadyAtS;
    while (this.head < q.length && q[this.head]! <= t) {
      this.head++;
      this.ready++;
    }
    if (this.head > 1024 && this.head * 2 > q.length) {
      this.warmingReadyAtS = q.slice(this.head);
      this.head = 0;
    }
  }

  request(count: number, readyAtS: number): void {
    for (let i = 0; i < count; i++) this.warmingReadyAtS.push(readyAtS);
  }

  /** Releases `count` replicas: warming ones first (newest first, like Kubernetes deleting unready pods first) or ready ones first. */
  release(count: number, order: 'warming-first' | 'ready-first'): void {
    let left = count;
    if (order === 'ready-first') {
      const r = Math.min(left, this.ready);
      this.ready -= r;
      left -= r;
    }
    while (left > 0 && this.warming > 0) {
      this.warmingReadyAtS.pop();
      left--;
    }
    const r = Math.min(left, this.ready);
    this.ready -= r;
  }

  /** Replicas that will be ready by second `t` (ready now plus warming ones finishing by then). */
  readyBy(t: number): number {
    const q = this.warmingReadyAtS;
    let lo = this.head;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (q[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return this.ready + (lo - this.head);
  }
}
