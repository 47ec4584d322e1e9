import type { ReplicaPhase } from '@warmpool/domain';

export interface InstanceTimes {
  readonly requestedAtMs: number;
  readonly readyAtMs: number | undefined;
}

/**
 * When each instance of a group was asked for and became ready, as this provider saw it.
 * DescribeAutoScalingGroups carries no launch time, so a scale-up by N leaves N stamped slots;
 * an instance first seen after it takes the oldest slot (its request time), an instance seen with
 * no slot left (already there, or a replacement AWS launched) is stamped when first seen.
 * Ready time is the first observation of the instance ready.
 */
export class InstanceClock {
  private readonly times = new Map<string, { requestedAtMs: number; readyAtMs: number | undefined }>();
  private readonly slots: number[] = [];

  scaledUp(count: number, atMs: number): void {
    for (let i = 0; i < count; i++) this.slots.push(atMs);
  }

  /** A scale-down cancels the launches not seen yet. */
  scaledDown(): void {
    this.slots.length = 0;
  }

  /** Stamps new instances, forgets instances gone, and returns the times of those given. */
  observe(
    instances: readonly { readonly id: string; readonly phase: ReplicaPhase }[],
    nowMs: number,
  ): Map<string, InstanceTimes> {
    const present = new Set(instances.map((i) => i.id));
    for (const id of this.times.keys()) if (!present.has(id)) this.times.delete(id);
    const out = new Map<string, InstanceTimes>();
    for (const inst of instances) {
      let t = this.times.get(inst.id);
      if (!t) {
        t = { requestedAtMs: this.slots.shift() ?? nowMs, readyAtMs: undefined };
        this.times.set(inst.id, t);
      }
      if (inst.phase === 'ready' && t.readyAtMs === undefined) t.readyAtMs = nowMs;
      out.set(inst.id, { ...t });
    }
    return out;
  }
}
