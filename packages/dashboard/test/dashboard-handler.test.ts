import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReasonCode, ValidationError, WarmpoolError } from '@warmpool/domain';
import { afterEach, describe, expect, it } from 'vitest';
import { InMemoryDashboardFeed } from '../src/feed/in-memory-dashboard-feed.js';
import {
  createDashboardHandler,
  type DashboardHandler,
  type DashboardHandlerOptions,
} from '../src/http/dashboard-handler.js';
import { mountDashboard } from '../src/http/mount-dashboard.js';
import { formatSseEvent } from '../src/http/sse-hub.js';
import { StaticAssets } from '../src/http/static-assets.js';
import { eventually, serve } from './http-harness.js';
import { SseReader } from './sse-reader.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const tick = (atS: number) => ({
  atS,
  observedPerS: 50,
  forecastP50PerS: 60,
  forecastUpperPerS: 75,
  windowStartS: atS + 45,
  windowEndS: atS + 50,
  readyReplicas: 2,
  warmingReplicas: 1,
});

async function start(options: DashboardHandlerOptions = {}) {
  const feed = new InMemoryDashboardFeed();
  const handler = createDashboardHandler(feed, options);
  const http = await serve(handler);
  cleanups.push(http.close, () => handler.close());
  return { feed, handler, url: http.url };
}

function sse(url: string): Promise<SseReader> {
  return SseReader.open(url).then((reader) => {
    cleanups.push(() => reader.close());
    return reader;
  });
}

/** HEAD with node:http (fetch cannot show that a HEAD body is empty). */
function head(url: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'HEAD' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('createDashboardHandler: page and assets', () => {
  it('serves the page at the base path, with and without slash and query, pointing at its own assets', async () => {
    const { url } = await start();
    for (const path of ['/ui', '/ui/', '/ui?model=a', '/ui/index.html']) {
      const res = await fetch(url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
      const html = await res.text();
      expect(html).toContain('<script type="module" src="/ui/app.js">');
      expect(html).toContain('href="/ui/app.css"');
      expect(html).toContain('data-base="/ui"');
      expect(html).toContain('Waiting for the first tick');
      expect(html).not.toMatch(/https?:\/\//);
    }
  });

  it('serves the compiled scripts and the stylesheet from the package', async () => {
    const { url } = await start();
    const js = await fetch(`${url}/ui/app.js`);
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const app = await js.text();
    expect(app).toContain('EventSource');
    expect(app).toContain("from './svg-chart.js'");
    const chart = await fetch(`${url}/ui/svg-chart.js`);
    expect(await chart.text()).toContain('export function drawChart');
    const css = await fetch(`${url}/ui/app.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(await css.text()).toContain('.chart');
  });

  it('uses a custom base path everywhere, and "/" serves at the root', async () => {
    const custom = await start({ basePath: '/ops/dashboard/' });
    expect(custom.handler.basePath).toBe('/ops/dashboard');
    const html = await (await fetch(`${custom.url}/ops/dashboard`)).text();
    expect(html).toContain('src="/ops/dashboard/app.js"');
    expect((await fetch(`${custom.url}/ui`)).status).toBe(404);
    const root = await start({ basePath: '/' });
    expect((await fetch(`${root.url}/`)).status).toBe(200);
    expect(await (await fetch(`${root.url}/`)).text()).toContain('src="/app.js"');
    expect((await fetch(`${root.url}/api/state`)).status).toBe(200);
  });

  it('rejects bad options with a ValidationError naming the key', () => {
    const feed = new InMemoryDashboardFeed();
    expect(() => createDashboardHandler(feed, { basePath: 'ui' })).toThrow(ValidationError);
    expect(() => createDashboardHandler(feed, { basePath: '/ui"><script>' })).toThrow(/basePath/);
    expect(() => createDashboardHandler(feed, { maxClients: 0 })).toThrow(/maxClients: got 0/);
    expect(() => createDashboardHandler(feed, { heartbeatMs: Number.NaN })).toThrow(/heartbeatMs/);
  });

  it('a missing asset file is a typed error naming the file, answered 500 without crashing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-assets-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const assets = new StaticAssets(pathToFileURL(`${dir}/`));
    const error = await assets.get('app.js').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WarmpoolError);
    expect((error as WarmpoolError).code).toBe('E_DASHBOARD_ASSET');
    expect((error as Error).message).toContain(join(dir, 'dist/web/app.js'));
    expect((error as Error).message).toContain('npx tsc -b packages/dashboard');
  });
});

describe('createDashboardHandler: routes and methods', () => {
  it('answers 404 outside the base path and for unknown paths under it', async () => {
    const { url } = await start();
    for (const path of ['/', '/uix', '/ui/nope', '/ui/api', '/ui/api/state/x', '/ui/../etc/passwd']) {
      const res = await fetch(url + path);
      expect(res.status, path).toBe(404);
      expect(await res.text()).toMatch(/^not found: /);
    }
  });

  it('answers 405 with Allow for other methods', async () => {
    const { url } = await start();
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await fetch(`${url}/ui/api/state`, { method });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
      expect(await res.text()).toContain(`method ${method} not allowed on /ui/api/state`);
    }
  });

  it('answers HEAD with the GET headers and no body, also for the event stream', async () => {
    const { url, handler } = await start();
    for (const path of ['/ui', '/ui/app.js', '/ui/app.css', '/ui/api/state']) {
      const get = await fetch(url + path);
      const getBody = Buffer.from(await get.arrayBuffer());
      const res = await head(url + path);
      expect(res.status, path).toBe(200);
      expect(res.body).toBe('');
      expect(res.headers['content-type']).toBe(get.headers.get('content-type'));
      expect(Number(res.headers['content-length'])).toBe(getBody.length);
    }
    const events = await head(`${url}/ui/api/events`);
    expect(events.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(handler.clientCount).toBe(0);
    expect((await head(`${url}/ui/missing`)).status).toBe(404);
  });

  it('serves the JSON snapshot of the feed', async () => {
    const { url, feed } = await start();
    expect(await (await fetch(`${url}/ui/api/state`)).json()).toEqual({ models: [], maxPoints: 360, maxDecisions: 50 });
    feed.setSla('resnet50', {
      latencyTargetP95Ms: 250,
      capacityPerReplicaPerS: 40,
      minWarmReplicas: 2,
      maxReplicas: 12,
    });
    feed.recordTick('resnet50', { ...tick(100), observedPerS: Number.NaN });
    const res = await fetch(`${url}/ui/api/state`);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const body = (await res.json()) as { models: { points: { observedPerS: unknown }[] }[] };
    expect(body).toEqual(feed.snapshot());
    expect(body.models[0].points[0].observedPerS).toBeNull();
  });
});

describe('createDashboardHandler: Server-Sent Events', () => {
  it('streams the snapshot first, then ticks and decisions as framed events with increasing ids', async () => {
    const { url, feed } = await start();
    feed.recordTick('resnet50', tick(95));
    const reader = await sse(`${url}/ui/api/events`);
    expect(reader.res.statusCode).toBe(200);
    expect(reader.res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(reader.res.headers['cache-control']).toBe('no-cache, no-transform');
    const retry = await reader.waitFor(() => true);
    expect(retry.raw).toBe('retry: 2000');
    const state = await reader.waitFor((f) => f.event === 'state');
    expect(JSON.parse(state.data ?? '')).toEqual(feed.snapshot());
    feed.recordTick('resnet50', tick(100));
    feed.recordDecision('resnet50', {
      atS: 100,
      action: 'scale-up',
      from: 3,
      to: 4,
      reasons: [ReasonCode.ForecastScaleAhead],
      message: 'ahead of the step\nsecond line',
    });
    const t = await reader.waitFor((f) => f.event === 'tick');
    expect(JSON.parse(t.data ?? '')).toEqual({ type: 'tick', model: 'resnet50', point: tick(100) });
    const d = await reader.waitFor((f) => f.event === 'decision');
    // A newline in a message stays inside the JSON: one data line per event.
    expect(d.raw.split('\n').filter((l) => l.startsWith('data: '))).toHaveLength(1);
    expect(JSON.parse(d.data ?? '').decision.message).toBe('ahead of the step\nsecond line');
    expect(Number(state.id)).toBeLessThan(Number(t.id));
    expect(Number(t.id)).toBeLessThan(Number(d.id));
  });

  it('formats an event as event/id/data lines ended by a blank line', () => {
    expect(formatSseEvent('tick', 7, { a: 'x\ny' })).toBe('event: tick\nid: 7\ndata: {"a":"x\\ny"}\n\n');
  });

  it('sends heartbeat comments while a client is connected', async () => {
    const { url } = await start({ heartbeatMs: 20 });
    const reader = await sse(`${url}/ui/api/events`);
    const beat = await reader.waitFor((f) => f.comment === 'heartbeat');
    expect(beat.raw).toBe(': heartbeat');
  });

  it('cleans up on client disconnect: no client, no feed subscription left', async () => {
    const { url, feed, handler } = await start({ heartbeatMs: 20 });
    const a = await sse(`${url}/ui/api/events`);
    const b = await sse(`${url}/ui/api/events`);
    await a.waitFor((f) => f.event === 'state');
    await b.waitFor((f) => f.event === 'state');
    expect(handler.clientCount).toBe(2);
    expect(feed.listenerCount).toBe(1);
    a.close();
    await eventually(() => handler.clientCount === 1, 'first client removed');
    expect(feed.listenerCount).toBe(1);
    feed.recordTick('m', tick(1));
    await b.waitFor((f) => f.event === 'tick');
    b.close();
    await eventually(() => handler.clientCount === 0, 'second client removed');
    expect(feed.listenerCount).toBe(0);
    feed.recordTick('m', tick(2));
  });

  it('bounds the number of streams: one past maxClients gets 503 with Retry-After', async () => {
    const { url, handler } = await start({ maxClients: 2 });
    const a = await sse(`${url}/ui/api/events`);
    await sse(`${url}/ui/api/events`);
    const res = await fetch(`${url}/ui/api/events`);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.text()).toContain('maxClients 2');
    a.close();
    await eventually(() => handler.clientCount === 1, 'slot freed');
    const c = await sse(`${url}/ui/api/events`);
    expect(c.res.statusCode).toBe(200);
  });

  it('drops a client that stops reading once its unsent output passes maxBufferedBytes', async () => {
    const { url, feed, handler } = await start({ maxBufferedBytes: 64 * 1024 });
    const reader = await sse(`${url}/ui/api/events`);
    await reader.waitFor((f) => f.event === 'state');
    reader.res.pause();
    const message = 'x'.repeat(4096);
    for (let i = 0; i < 20_000 && handler.clientCount > 0; i += 1) {
      feed.recordDecision('m', { atS: i, action: 'hold', from: 1, to: 1, reasons: [], message });
    }
    expect(handler.clientCount).toBe(0);
    expect(feed.listenerCount).toBe(0);
  });

  it('close() ends every stream', async () => {
    const { url, handler, feed } = await start();
    const reader = await sse(`${url}/ui/api/events`);
    await reader.waitFor((f) => f.event === 'state');
    handler.close();
    await reader.waitForEnd();
    expect(handler.clientCount).toBe(0);
    expect(feed.listenerCount).toBe(0);
  });
});

describe('mountDashboard', () => {
  it('adds the dashboard to a server with its own routes and gives them back on unmount', async () => {
    const http = await serve((req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(req.url === '/healthz' ? 'ok' : 'app 404');
    });
    cleanups.push(http.close);
    const feed = new InMemoryDashboardFeed();
    const mount = mountDashboard(http.server, feed);
    let handler: DashboardHandler | undefined = mount.handler;
    cleanups.push(() => handler?.close());
    expect(await (await fetch(`${http.url}/healthz`)).text()).toBe('ok');
    expect((await fetch(`${http.url}/ui`)).status).toBe(200);
    expect(await (await fetch(`${http.url}/other`)).text()).toBe('app 404');
    mount.unmount();
    handler = undefined;
    expect(await (await fetch(`${http.url}/ui`)).text()).toBe('app 404');
    expect(await (await fetch(`${http.url}/healthz`)).text()).toBe('ok');
  });
});
