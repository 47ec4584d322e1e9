import type { TakeCheckpoint } from '../../src/daemon/checkpoint-store.js';
import { StepMemory } from '../../src/daemon/model-checkpoint.js';
import type { ModelCheckpoint } from '../../src/daemon/model-checkpoint.js';

/** Models as a daemon's loops hold them for a checkpoint: a real StepMemory each, lead times and a burst history. */
export class CheckpointModels {
  readonly memories = new Map<string, StepMemory>();
  readonly meta = new Map<string, Pick<ModelCheckpoint, 'leadTimeSamples' | 'bursts'>>();
  /** The steps each `take` handed to the store, summed (what the store asked for). */
  stepsTaken = 0;

  constructor(
    private readonly identity = 'daemon-a',
    public fencingToken: number | null = null,
    public nowMs = 1_770_000_000_000,
  ) {}

  /** `steps` steps of 10 s from t0 for `name` (a gap every 7th, a peak above the mean), and its metadata. */
  add(name: string, steps: number, t0 = 1_770_000_000): void {
    let m = this.memories.get(name);
    if (!m) {
      m = new StepMemory();
      this.memories.set(name, m);
      this.meta.set(name, {
        leadTimeSamples: [{ totalS: 31, stagesS: { provisioning: 20, loading: 6, warming: 5 } }],
        bursts: undefined,
      });
    }
    const from = m.lastStartS === undefined ? t0 : m.lastStartS + 10;
    for (let i = 0; i < steps; i++) {
      const k = (from - t0) / 10 + i;
      const mean = k % 7 === 3 ? Number.NaN : 1 + (k % 13) / 3;
      m.add({ startS: from + 10 * i, meanPerS: mean, peakPerS: k % 2 ? mean : 2 * (k % 5) + 1 });
    }
  }

  readonly take: TakeCheckpoint = () => ({
    savedAtMs: this.nowMs,
    identity: this.identity,
    fencingToken: this.fencingToken,
    names: [...this.memories.keys()],
    model: (name, after) => {
      const m = this.memories.get(name);
      if (!m) return undefined;
      const steps = m.listAfter(after);
      this.stepsTaken += steps.length;
      return { steps, ...this.meta.get(name)! };
    },
  });

  /** What a load should give back for `name`: every step, rates to 4 significant digits. */
  expected(name: string): ModelCheckpoint {
    const r = (x: number) => (Number.isFinite(x) ? Number(x.toPrecision(4)) : Number.NaN);
    return {
      steps: this.memories
        .get(name)!
        .list()
        .map((s) => ({ startS: s.startS, meanPerS: r(s.meanPerS), peakPerS: r(s.peakPerS) })),
      leadTimeSamples: this.meta.get(name)!.leadTimeSamples,
      ...(this.meta.get(name)!.bursts ? { bursts: this.meta.get(name)!.bursts } : {}),
    };
  }
}
