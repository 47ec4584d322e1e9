import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { InMemoryDashboardFeed, mountDashboard, type DashboardMount } from '@warmpool/dashboard';
import { listenHttp } from '@warmpool/telemetry';
import { DashboardSink } from './dashboard-sink.js';

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

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/**
 * The daemon's own HTTP server: `/healthz` (ok while it runs), `/metrics` (Prometheus text: decisions by model,
 * action and what was done), and the dashboard under `/ui`, fed by a decision-log sink (`sink`).
 */
export class DaemonHttpServer {
  readonly feed: InMemoryDashboardFeed;
  readonly sink: DashboardSink;
  private readonly server: Server;
  private mount: DashboardMount | undefined;
  private address: string | undefined;
  private readonly startedAtMs = Date.now();
  private readiness: (() => Promise<ReadinessReport>) | undefined;

  constructor(private readonly opts: DaemonHttpOptions) {
    this.feed = new InMemoryDashboardFeed({ maxPoints: opts.maxPoints ?? 720, maxDecisions: 100 });
    this.sink = new DashboardSink(this.feed, opts.onError);
    this.server = createServer((req, res) => this.handle(req, res));
    this.mount = mountDashboard(this.server, this.feed, { basePath: '/ui', ...(opts.onError ? { onError: opts.onError } : {}) });
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
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    if (path === '/healthz' || path === '/livez') {
      // Liveness: the process answers; never waits on anything else.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', uptimeS: Math.round((Date.now() - this.startedAtMs) / 1000) }));
      return;
    }
    if (path === '/readyz') {
      this.answerReadiness(res);
      return;
    }
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(this.metricsText());
      return;
    }
    if (path === '/') {
      res.writeHead(302, { location: '/ui/' }).end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found (try /ui, /livez, /readyz, /metrics)\n');
  }

  private answerReadiness(res: ServerResponse): void {
    const check = this.readiness;
    if (!check) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', ready: true, role: 'unknown', checks: {} }));
      return;
    }
    check().then(
      (r) => {
        if (res.writableEnded) return;
        res.writeHead(r.ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: r.ready ? 'ok' : 'not-ready', ...r }));
      },
      (err: unknown) => {
        if (res.writableEnded) return;
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'not-ready', ready: false, error: err instanceof Error ? err.message : String(err) }));
      },
    );
  }

  /** Prometheus text of the decision counters. */
  metricsText(): string {
    const lines = ['# HELP warmpool_decisions_total Decisions made, by model, action and what was done with them.', '# TYPE warmpool_decisions_total counter'];
    for (const [key, n] of [...this.sink.counts.entries()].sort()) {
      const [model, action, acted] = key.split('\u0000') as [string, string, string];
      lines.push(`warmpool_decisions_total{model="${escapeLabel(model)}",action="${escapeLabel(action)}",acted="${escapeLabel(acted)}"} ${n}`);
    }
    return `${lines.join('\n')}\n`;
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
