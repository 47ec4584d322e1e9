import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { ValidationError, type ValidationIssue } from '@warmpool/domain';
import type { DashboardFeed } from '../feed/dashboard-state.js';
import { SseHub } from './sse-hub.js';
import { type AssetName, StaticAssets } from './static-assets.js';

export interface DashboardHandlerOptions {
  /** Path the page is served under, e.g. `/ui` (default). `/` serves at the root. */
  readonly basePath?: string;
  /** Concurrent `/api/events` streams (default 16). */
  readonly maxClients?: number;
  /** SSE heartbeat comment interval (default 15 000 ms). */
  readonly heartbeatMs?: number;
  /** A stream whose unsent output passes this is dropped (default 1 MiB). */
  readonly maxBufferedBytes?: number;
  /** Called when a request fails inside the handler (e.g. a missing asset); default `console.error`. */
  readonly onError?: (error: unknown) => void;
}

export const DASHBOARD_HANDLER_DEFAULTS = {
  basePath: '/ui',
  maxClients: 16,
  heartbeatMs: 15_000,
  maxBufferedBytes: 1 << 20,
} as const;

/** A node:http request listener (answers 404 outside its base path) with routing and shutdown helpers. */
export interface DashboardHandler extends RequestListener {
  readonly basePath: string;
  /** Whether `url` (a request target, query allowed) is under the base path. */
  handles(url: string | undefined): boolean;
  /** Open event streams. */
  readonly clientCount: number;
  /** Ends all event streams and stops their timer; the handler keeps answering other requests. */
  close(): void;
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
} as const;

function normalizeBasePath(raw: string): string {
  if (typeof raw !== 'string' || !/^\/[A-Za-z0-9._~\-/]*$/.test(raw) || raw.includes('//')) {
    throw new ValidationError(
      [{ path: 'basePath', value: raw, allowed: "a path like '/ui' (letters, digits, . _ ~ - /)" }],
      'dashboard handler options',
    );
  }
  return raw.replace(/\/+$/, '');
}

function escapeHtmlAttr(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  extra: Record<string, string> = {},
  head = false,
): void {
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': body.length,
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    ...extra,
  });
  res.end(head ? undefined : body);
}

function sendBody(res: ServerResponse, contentType: string, body: Buffer, head: boolean): void {
  res.writeHead(200, {
    'content-type': contentType,
    'content-length': body.length,
    'cache-control': 'no-cache',
    ...SECURITY_HEADERS,
  });
  res.end(head ? undefined : body);
}

/**
 * Serves the dashboard of `feed` under `basePath`:
 * `GET {base}` the page, `{base}/app.js` and `{base}/app.css` its assets (files of this package),
 * `{base}/api/state` the JSON snapshot, `{base}/api/events` a Server-Sent Events stream. GET and HEAD only.
 */
export function createDashboardHandler(feed: DashboardFeed, options: DashboardHandlerOptions = {}): DashboardHandler {
  const basePath = normalizeBasePath(options.basePath ?? DASHBOARD_HANDLER_DEFAULTS.basePath);
  const maxClients = options.maxClients ?? DASHBOARD_HANDLER_DEFAULTS.maxClients;
  const heartbeatMs = options.heartbeatMs ?? DASHBOARD_HANDLER_DEFAULTS.heartbeatMs;
  const maxBufferedBytes = options.maxBufferedBytes ?? DASHBOARD_HANDLER_DEFAULTS.maxBufferedBytes;
  const issues: ValidationIssue[] = [];
  if (!Number.isInteger(maxClients) || maxClients < 1 || maxClients > 10_000)
    issues.push({ path: 'maxClients', value: maxClients, allowed: 'an integer in [1, 10000]' });
  if (!Number.isFinite(heartbeatMs) || heartbeatMs < 10 || heartbeatMs > 3_600_000)
    issues.push({ path: 'heartbeatMs', value: heartbeatMs, allowed: 'a number in [10, 3600000]' });
  if (!Number.isFinite(maxBufferedBytes) || maxBufferedBytes < 1024)
    issues.push({ path: 'maxBufferedBytes', value: maxBufferedBytes, allowed: 'a number >= 1024' });
  if (issues.length > 0) throw new ValidationError(issues, 'dashboard handler options');
  const onError = options.onError ?? ((error: unknown) => console.error('dashboard:', error));

  const hub = new SseHub(feed, { maxClients, heartbeatMs, maxBufferedBytes });
  const assets = new StaticAssets(undefined, (html) => html.replaceAll('{{BASE}}', escapeHtmlAttr(basePath)));
  const assetRoutes = new Map<string, AssetName>([
    [basePath === '' ? '/' : basePath, 'index.html'],
    [`${basePath}/`, 'index.html'],
    [`${basePath}/index.html`, 'index.html'],
    [`${basePath}/app.js`, 'app.js'],
    [`${basePath}/app.css`, 'app.css'],
    [`${basePath}/svg-chart.js`, 'svg-chart.js'],
  ]);

  const pathOf = (url: string | undefined): string => {
    const target = url ?? '/';
    const q = target.indexOf('?');
    return q === -1 ? target : target.slice(0, q);
  };
  const handles = (url: string | undefined): boolean => {
    const path = pathOf(url);
    return basePath === '' || path === basePath || path.startsWith(`${basePath}/`);
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = pathOf(req.url);
    if (!handles(req.url)) return sendText(res, 404, `not found: ${path}\n`);
    const method = req.method ?? 'GET';
    const head = method === 'HEAD';
    const asset = assetRoutes.get(path);
    const known = asset !== undefined || path === `${basePath}/api/state` || path === `${basePath}/api/events`;
    if (!known) return sendText(res, 404, `not found: ${path}\n`, {}, head);
    if (method !== 'GET' && !head)
      return sendText(res, 405, `method ${method} not allowed on ${path}; use GET or HEAD\n`, { allow: 'GET, HEAD' });
    if (asset !== undefined) {
      const file = await assets.get(asset);
      return sendBody(res, file.contentType, file.body, head);
    }
    if (path === `${basePath}/api/state`) {
      return sendBody(
        res,
        'application/json; charset=utf-8',
        Buffer.from(JSON.stringify(feed.snapshot()), 'utf8'),
        head,
      );
    }
    if (head) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        ...SECURITY_HEADERS,
      });
      res.end();
      return;
    }
    hub.open(req, res);
  };

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    serve(req, res).catch((error: unknown) => {
      onError(error);
      if (!res.headersSent)
        sendText(res, 500, `dashboard error: ${error instanceof Error ? error.message : String(error)}\n`);
      else res.destroy();
    });
  };

  return Object.defineProperties(listener, {
    basePath: { value: basePath, enumerable: true },
    handles: { value: handles },
    clientCount: { get: () => hub.clientCount, enumerable: true },
    close: { value: () => hub.close() },
  }) as DashboardHandler;
}
