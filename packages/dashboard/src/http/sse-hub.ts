import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DashboardEvent, DashboardFeed } from '../feed/dashboard-state.js';

export interface SseHubOptions {
  /** Concurrent event streams; one more is answered 503. */
  readonly maxClients: number;
  /** Interval of the `: heartbeat` comment that keeps proxies from closing idle streams. */
  readonly heartbeatMs: number;
  /** A client whose unsent output grows past this is dropped (a stalled browser must not hold memory). */
  readonly maxBufferedBytes: number;
}

interface Client {
  readonly res: ServerResponse;
}

/** Formats one Server-Sent Event; `data` is JSON, so it never contains a raw newline. */
export function formatSseEvent(event: string, id: number, data: unknown): string {
  return `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

/**
 * The open `/api/events` streams: one feed subscription and one heartbeat timer while any client is connected,
 * none when idle. Each stream starts with a `state` event (the snapshot), then `sla`, `tick` and `decision` events.
 */
export class SseHub {
  private readonly clients = new Set<Client>();
  private unsubscribe: (() => void) | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private nextId = 1;

  constructor(
    private readonly feed: DashboardFeed,
    private readonly options: SseHubOptions,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Answers one events request: 503 when full, else an open stream until the client leaves or `close()`. */
  open(req: IncomingMessage, res: ServerResponse): void {
    if (this.clients.size >= this.options.maxClients) {
      res.writeHead(503, {
        'content-type': 'text/plain; charset=utf-8',
        'retry-after': '5',
        'cache-control': 'no-store',
      });
      res.end(`too many dashboard event streams (maxClients ${this.options.maxClients})\n`);
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    const client: Client = { res };
    this.clients.add(client);
    const drop = (): void => this.remove(client);
    res.once('close', drop);
    res.once('error', drop);
    this.ensureRunning();
    this.write(client, `retry: 2000\n\n` + formatSseEvent('state', this.nextId++, this.feed.snapshot()));
  }

  /** Ends every stream and stops the timer and the feed subscription. */
  close(): void {
    for (const client of [...this.clients]) {
      this.remove(client);
      client.res.end();
    }
  }

  private broadcast(event: DashboardEvent): void {
    const frame = formatSseEvent(event.type, this.nextId++, event);
    for (const client of [...this.clients]) this.write(client, frame);
  }

  private write(client: Client, chunk: string): void {
    if (!this.clients.has(client)) return;
    if (client.res.writableLength > this.options.maxBufferedBytes) {
      this.remove(client);
      client.res.destroy();
      return;
    }
    client.res.write(chunk);
  }

  private ensureRunning(): void {
    if (this.unsubscribe === null) this.unsubscribe = this.feed.subscribe((event) => this.broadcast(event));
    if (this.heartbeat === null) {
      this.heartbeat = setInterval(() => {
        for (const client of [...this.clients]) this.write(client, ': heartbeat\n\n');
      }, this.options.heartbeatMs);
      this.heartbeat.unref();
    }
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    if (this.clients.size > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.heartbeat !== null) clearInterval(this.heartbeat);
    this.heartbeat = null;
  }
}
