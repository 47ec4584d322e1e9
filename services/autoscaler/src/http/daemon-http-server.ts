import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { InMemoryDashboardFeed, mountDashboard, type DashboardMount } from '@warmpool/dashboard';
import { listenHttp } from '@warmpool/telemetry';
import { DashboardSink } from './dashboard-sink.js';
import { DaemonMetrics } from './daemon-metrics.js';
import type { RecordSink } from '../daemon/decision-log.js';
import type { DaemonLogRecord } from '../daemon/daemon-record.js';

/** What `/readyz` reports (the Daemon's readiness). */
export interface ReadinessReport {
  readonly ready: boolean;
  readonly role: string;
  readonly checks: Readonly<Record<string, { readonly ok: boolean; readonly error?: string }>>;
}

export interface DaemonHttpOptions {
  readonly host: string;
  /** 0: the OS picks a free port. */
  readonly port: number;
  /** Tick points kept per model. Default 720. */
  readonly maxPoints?: number;
  readonly onError?: (err: unknown) => void;
}

/**
 * The daemon's own HTTP server: `/healthz` and `/livez` (ok while it runs), `/readyz`, `/metrics` (prom-client:
 * DaemonMetrics) and the dashboard under `/ui`, both fed by the decision-log sink `sink`.
 */
export class DaemonHttpServer {
  readonly feed: InMemoryDashboardFeed;
  readonly dashboard: DashboardSink;
  /** The daemon's metrics (`/metrics`), fed by the decision log. */
  readonly metrics: DaemonMetrics;
  /** The decision-log sink that feeds both the dashboard and the metrics. */
  readonly sink: RecordSink;
  private readonly server: Server;
  private mount: DashboardMount | undefined;
  private address: string | undefined;
  private readonly startedAtMs = Date.now();
  private readiness: (() => Promise<ReadinessReport>) | undefined;

  constructor(private readonly opts: DaemonHttpOptions) {
    this.feed = new InMemoryDashboardFeed({ maxPoints: opts.maxPoints ?? 720, maxDecisions: 100 });
    this.dashboard = new DashboardSink(this.feed, opts.onError);
    this.metrics = new DaemonMetrics();
    const { dashboard, metrics } = this;
    this.sink = {
      name: 'http',
      write(r: DaemonLogRecord): void {
        dashboard.write(r);
        try {
          metrics.write(r);
        } catch (err) {
          opts.onError?.(err);
        }
      },
      close: async () => undefined,
    };
    this.server = createServer((req, res) => this.handle(req, res));
    this.mount = mountDashboard(this.server, this.feed, {
      basePath: '/ui',
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  }

  /** What `/readyz` asks (the Daemon sets it); without it `/readyz` answers like `/livez`. */
  setReadiness(check: () => Promise<ReadinessReport>): void {
    this.readiness = check;
  }

  /** `http://host:port` once listening. */
  get url(): string | undefined {
    return this.address;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
        .end('method not allowed\n');
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      // Liveness: the process answers; never waits on anything else.
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'ok', uptimeS: Math.round((Date.now() - this.startedAtMs) / 1000) }));
      return;
    }
    if (path === '/readyz') {
      this.answerReadiness(res);
      return;
    }
    if (path === '/metrics') {
      this.metrics.metrics().then(
        (text) => {
          if (!res.writableEnded) res.writeHead(200, { 'content-type': this.metrics.contentType }).end(text);
        },
        (err: unknown) => {
          if (!res.writableEnded)
            res
              .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
              .end(`metrics: ${err instanceof Error ? err.message : String(err)}\n`);
        },
      );
      return;
    }
    if (path === '/') {
      res.writeHead(302, { location: '/ui/' }).end();
      return;
    }
    res
      .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
      .end('not found (try /ui, /livez, /readyz, /metrics)\n');
  }

  private answerReadiness(res: ServerResponse): void {
    const check = this.readiness;
    if (!check) {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: 'ok', ready: true, role: 'unknown', checks: {} }));
      return;
    }
    check().then(
      (r) => {
        if (res.writableEnded) return;
        res
          .writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: r.ready ? 'ok' : 'not-ready', ...r }));
      },
      (err: unknown) => {
        if (res.writableEnded) return;
        res.writeHead(503, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            status: 'not-ready',
            ready: false,
            error: err instanceof Error ? err.message : String(err),
          }),
        );
      },
    );
  }

  /** Listens with the house keep-alive settings (telemetry's listenHttp); rejects with the listen error. */
  async listen(): Promise<string> {
    this.address = (await listenHttp(this.server, this.opts.port, this.opts.host)).url;
    return this.address;
  }

  /** Ends the event streams, then closes the server (idle keep-alive sockets too). */
  async close(): Promise<void> {
    this.mount?.unmount();
    this.mount = undefined;
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
