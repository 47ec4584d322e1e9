import { createForecaster } from '@warmpool/forecast';
import type { HistorySource, ReplicaProvider, ScaleQueue, StepObservation } from '@warmpool/domain';
import { InProcessScaleQueue, ManualClock } from '@warmpool/queue';
import { parseConfigText } from '../../src/config/load-config-file.js';
import type { ModelConfig, WarmpoolConfig } from '../../src/config/warmpool-config.js';
import { Daemon, type DaemonDeps } from '../../src/daemon/daemon.js';
import type { DaemonDecisionRecord, DaemonLogRecord } from '../../src/daemon/daemon-record.js';
import { DecisionLog, type RecordSink } from '../../src/daemon/decision-log.js';
import type { PerSecondDemand } from '../../src/daemon/demand-feed.js';
import { SoleLeader, type Leadership } from '../../src/daemon/leadership.js';
import { PerSecondDemandFeed } from '../../src/daemon/per-second-demand-feed.js';
import { HistoryDemandFeed } from '../../src/daemon/history-demand-feed.js';

export const T0 = Date.parse('2026-03-02T00:00:00.000Z');

/** The record type(s) whose `kind` can be K. */
export type RecordOf<K extends string> = DaemonLogRecord extends infer R
  ? R extends { kind: infer RK }
    ? K extends RK
      ? R
      : never
    : never
  : never;

/** Keeps every record in memory. */
export class MemorySink implements RecordSink {
  readonly name = 'memory';
  readonly records: DaemonLogRecord[] = [];
  write(r: DaemonLogRecord): void {
    this.records.push(JSON.parse(JSON.stringify(r)) as DaemonLogRecord);
  }
  async close(): Promise<void> {}
  decisions(model?: string): DaemonDecisionRecord[] {
    return this.records.filter(
      (r): r is DaemonDecisionRecord => r.kind === 'decision' && (model === undefined || r.model === model),
    );
  }
  of<K extends DaemonLogRecord['kind']>(kind: K): RecordOf<K>[] {
    return this.records.filter((r) => r.kind === kind) as RecordOf<K>[];
  }
}

/** A history source with a rate function per model; `fail` makes reads throw. */
export class FunctionHistory implements HistorySource {
  readonly name = 'function-history';
  fail: Error | undefined;
  reads = 0;
  constructor(private readonly rate: (model: string, tS: number) => number) {}
  async read(model: string, fromS: number, toS: number, stepS: number): Promise<StepObservation[]> {
    this.reads++;
    if (this.fail) throw this.fail;
    const out: StepObservation[] = [];
    for (let t = fromS; t < toS; t += stepS) {
      const v = this.rate(model, t);
      out.push({ startS: t, meanPerS: v, peakPerS: v });
    }
    return out;
  }
  async close(): Promise<void> {}
}

/** Per-second counts from a rate function on the manual clock (what the local load balancer's /demand answers). */
export function perSecondFrom(
  clock: ManualClock,
  rate: (model: string, second: number) => number,
): PerSecondDemand & { calls: number } {
  const fn = async (model: string, seconds: number) => {
    fn.calls++;
    const nowSecond = Math.floor(clock.now() / 1000);
    const startSecond = nowSecond - seconds + 1;
    const counts: number[] = [];
    for (let s = startSecond; s <= nowSecond; s++) counts.push(Math.round(rate(model, s)));
    return { startMs: startSecond * 1000, counts };
  };
  fn.calls = 0;
  return fn;
}

export const BASE_YAML = `tickS: 1
history: { kind: csv, directory: /tmp, backfillS: 3600 }
models:
  - name: a
    capacityPerReplicaPerS: 10
    leadTime: { provisionS: 5, loadS: 3, warmupS: 2 }
    minWarmReplicas: 1
    maxReplicas: 20
    horizonS: 10
    scaleDownStabilizationS: 30
    stepS: 10
    target: { modelFile: a.onnx }
  - name: b
    capacityPerReplicaPerS: 5
    leadTime: { provisionS: 5, loadS: 3, warmupS: 2 }
    minWarmReplicas: 1
    maxReplicas: 20
    horizonS: 10
    stepS: 10
    target: { modelFile: b.onnx }
`;

export function config(yaml = BASE_YAML): WarmpoolConfig {
  return parseConfigText(yaml, '/tmp/warmpool-test.yaml');
}

export interface Harness {
  readonly clock: ManualClock;
  readonly sink: MemorySink;
  readonly queue: InProcessScaleQueue;
  readonly daemon: Daemon;
  /** Advances the clock by `ms`, lets the tick that fires finish and the jobs it enqueued run. */
  step(ms: number): Promise<void>;
}

export interface HarnessOptions {
  readonly config?: WarmpoolConfig;
  readonly clock?: ManualClock;
  readonly provider: ReplicaProvider;
  readonly history?: HistorySource;
  readonly perSecond?: PerSecondDemand;
  readonly leadership?: Leadership;
  readonly dryRun?: boolean;
  readonly queue?: ScaleQueue;
  readonly deps?: Partial<DaemonDeps>;
}

export function harness(o: HarnessOptions): Harness {
  const clock = o.clock ?? new ManualClock(T0);
  const sink = new MemorySink();
  const queue = new InProcessScaleQueue({ clock, attempts: 3, backoffBaseMs: 100 });
  const cfg = o.config ?? config();
  const history = o.history;
  const daemon = new Daemon(
    cfg,
    {
      clock,
      provider: o.provider,
      queue: o.queue ?? queue,
      history,
      demandFeed: (m: ModelConfig, tickS: number) =>
        o.perSecond
          ? new PerSecondDemandFeed(m.spec.name, m.stepS, tickS, o.perSecond)
          : new HistoryDemandFeed(m.spec.name, m.stepS, history!),
      leadership: o.leadership ?? new SoleLeader('test'),
      log: new DecisionLog([sink], (name, err) =>
        sink.write({
          kind: 'error',
          time: new Date(clock.now()).toISOString(),
          event: 'sink-failed',
          message: `${name}: ${String(err)}`,
        }),
      ),
      makeForecaster: (quantile, stepS) => createForecaster('ensemble', { quantile, stepS }),
      ...o.deps,
    },
    { dryRun: o.dryRun ?? false },
  );
  return {
    clock,
    sink,
    queue,
    daemon,
    async step(ms: number) {
      await clock.advanceBy(ms);
      await daemon.idle();
      await clock.advanceBy(0);
    },
  };
}
