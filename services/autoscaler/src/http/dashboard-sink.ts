import type { DashboardFeed, InMemoryDashboardFeed } from '@warmpool/dashboard';
import type { RecordSink } from '../daemon/decision-log.js';
import type { DaemonLogRecord } from '../daemon/daemon-record.js';

/**
 * A decision-log sink that feeds the dashboard: every decision record (one per model per tick) becomes a tick point
 * (observed demand, forecast p50/upper over the window, ready and warming replicas) and, unless it is a plain hold,
 * a decision marker (`/metrics` is DaemonMetrics', another sink). A model the feed refuses (bad values) is reported once
 * through `onError` and never stops the log.
 */
export class DashboardSink implements RecordSink {
  readonly name = 'dashboard';
  /** The SLA last given to the feed, per model (JSON), so a reloaded SLA is sent again. */
  private readonly slaSent = new Map<string, string>();

  constructor(
    readonly feed: InMemoryDashboardFeed & DashboardFeed,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {}

  write(r: DaemonLogRecord): void {
    if (r.kind !== 'decision') return;
    try {
      const sla = r.sla ? JSON.stringify(r.sla) : undefined;
      if (r.sla && sla !== this.slaSent.get(r.model)) {
        this.feed.setSla(r.model, r.sla);
        this.slaSent.set(r.model, sla!);
      }
      const atS = Date.parse(r.time) / 1000;
      this.feed.recordTick(r.model, {
        atS,
        observedPerS: r.observedPerS,
        forecastP50PerS: r.forecastP50PerS,
        forecastUpperPerS: r.forecastUpperPerS,
        windowStartS: r.windowStartS,
        windowEndS: r.windowEndS,
        readyReplicas: r.ready ?? 0,
        warmingReplicas: r.warming ?? 0,
      });
      if (r.action !== 'hold')
        this.feed.recordDecision(r.model, {
          atS,
          action: r.action,
          from: r.from,
          to: r.to,
          reasons: r.reasons as never,
          message: r.message,
        });
    } catch (err) {
      this.onError(err);
    }
  }

  async close(): Promise<void> {
    // the feed lives as long as the HTTP server
  }
}
