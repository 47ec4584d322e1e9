import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { DashboardFeed } from '../feed/dashboard-state.js';
import { createDashboardHandler, type DashboardHandler, type DashboardHandlerOptions } from './dashboard-handler.js';

export interface DashboardMount {
  readonly handler: DashboardHandler;
  /** Ends the event streams and gives the server its own request listeners back. */
  unmount(): void;
}

/**
 * Adds the dashboard to a server that already answers other paths: requests under the base path go to the
 * dashboard, every other request to the server's existing `request` listeners, unchanged.
 */
export function mountDashboard(
  server: Server,
  feed: DashboardFeed,
  options: DashboardHandlerOptions = {},
): DashboardMount {
  const handler = createDashboardHandler(feed, options);
  const previous = server.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[];
  const router = (req: IncomingMessage, res: ServerResponse): void => {
    if (handler.handles(req.url)) {
      handler(req, res);
      return;
    }
    if (previous.length === 0) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('not found\n');
      return;
    }
    for (const listener of previous) listener.call(server, req, res);
  };
  server.removeAllListeners('request');
  server.on('request', router);
  return {
    handler,
    unmount: () => {
      handler.close();
      server.off('request', router);
      for (const listener of previous) server.on('request', listener);
    },
  };
}
