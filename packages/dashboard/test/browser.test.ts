// A real browser: Debian's chromium, headless, driven by playwright-core, against the page served on 127.0.0.1.
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReasonCode } from '@warmpool/domain';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemoryDashboardFeed } from '../src/feed/in-memory-dashboard-feed.js';
import { createDashboardHandler, type DashboardHandler } from '../src/http/dashboard-handler.js';
import { serve } from './http-harness.js';
import { pushRealisticRun, stepDemandPerS } from './realistic-run.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const INSTALL = 'apt-get update && apt-get install -y chromium';
const available = existsSync(CHROMIUM);
const requireBrowser = process.env.CI === 'true';
if (!available && !requireBrowser) {
  console.warn(`SKIPPED dashboard browser test: ${CHROMIUM} is missing (Debian package "chromium": ${INSTALL})`);
}

// In CI a missing browser is a failing test (counted as failed), not a skip.
if (!available && requireBrowser) {
  describe('dashboard browser test prerequisites', () => {
    it('has chromium installed', () => {
      expect.fail(`${CHROMIUM} is missing: install the Debian package "chromium" (${INSTALL})`);
    });
  });
}
/** Set WARMPOOL_UPDATE_DOCS=1 to refresh packages/dashboard/docs/dashboard.png from the realistic run. */
const DOCS_PNG = fileURLToPath(new URL('../docs/dashboard.png', import.meta.url));
const START_S = 1_795_500_000; // epoch seconds: the page prints UTC clock times

describe.skipIf(!available)('dashboard in headless chromium', () => {
  let dir: string;
  let context: BrowserContext;
  const closers: (() => Promise<unknown> | unknown)[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warmpool-dashboard-browser-'));
    context = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1280, height: 900 },
      deviceScaleFactor: 1,
    });
  }, 60_000);

  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await context?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function open(feed: InMemoryDashboardFeed) {
    const handler: DashboardHandler = createDashboardHandler(feed);
    const http = await serve(handler);
    closers.push(http.close, () => handler.close());
    const page = await context.newPage();
    closers.push(() => page.close());
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(http.url) && !r.url().startsWith('data:')) outside.push(r.url());
    });
    await page.goto(`${http.url}/ui`);
    return { page, handler, problems, outside };
  }

  it('shows "waiting for the first tick", then a pushed tick and decision appear live', async () => {
    const feed = new InMemoryDashboardFeed();
    const { page, handler, problems, outside } = await open(feed);
    await page.getByText('Waiting for the first tick').waitFor();
    await page.locator('#conn[data-state="live"]').waitFor();
    expect(handler.clientCount).toBe(1);

    feed.setSla('resnet50', {
      latencyTargetP95Ms: 250,
      capacityPerReplicaPerS: 40,
      minWarmReplicas: 2,
      maxReplicas: 12,
    });
    feed.recordTick('resnet50', {
      atS: START_S,
      observedPerS: 70,
      forecastP50PerS: 150,
      forecastUpperPerS: 180,
      windowStartS: START_S + 45,
      windowEndS: START_S + 50,
      readyReplicas: 2,
      warmingReplicas: 0,
    });
    feed.recordDecision('resnet50', {
      atS: START_S,
      action: 'scale-up',
      from: 2,
      to: 5,
      reasons: [ReasonCode.ForecastScaleAhead],
      message: 'forecast upper 180 req/s needs 5 replicas',
    });

    const item = page.locator('section.model[data-model="resnet50"] li.decision');
    await item.waitFor();
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText() reads the rendered text as a user sees it (line breaks, hidden parts left out); it is not the DOM property the rule means
    expect(await item.innerText()).toMatch(
      /▲ 2 → 5[\s\S]*ForecastScaleAhead[\s\S]*forecast upper 180 req\/s needs 5 replicas/,
    );
    expect(await page.locator('#empty').isHidden()).toBe(true);
    expect(await page.locator('svg.chart circle.demand-dot').count()).toBe(1); // one point: a dot, no line yet
    expect(await page.locator('svg.chart rect.band').count()).toBe(1); // one forecast: a box over its window
    expect(await page.locator('svg.chart g.marker.up title').textContent()).toContain('ForecastScaleAhead');
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText() reads the rendered text as a user sees it (line breaks, hidden parts left out); it is not the DOM property the rule means
    expect(await page.locator('.chip.sla').innerText()).toContain('250 ms');

    // A tick without a demand value (a gap) and a hold decision: drawn, nothing breaks.
    feed.recordTick('resnet50', { atS: START_S + 5, observedPerS: Number.NaN, readyReplicas: 2, warmingReplicas: 3 });
    feed.recordDecision('resnet50', {
      atS: START_S + 5,
      action: 'hold',
      from: 5,
      to: 5,
      reasons: [ReasonCode.MissingObservation],
      message: 'no observation this tick; holding',
    });
    await expect.poll(() => page.locator('section.model[data-model="resnet50"] li.decision').count()).toBe(2);
    expect(await page.locator('svg.chart g.marker.hold').count()).toBe(1);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText() reads the rendered text as a user sees it (line breaks, hidden parts left out); it is not the DOM property the rule means
    expect(await page.locator('.chip.now-warming').innerText()).toContain('3');

    const png = join(dir, 'first-decision.png');
    await page.screenshot({ path: png, fullPage: true });
    if (process.env.WARMPOOL_KEEP_SCREENSHOTS)
      copyFileSync(png, join(process.env.WARMPOOL_KEEP_SCREENSHOTS, 'first-decision.png'));
    expect(statSync(png).size).toBeGreaterThan(5_000);
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
  }, 60_000);

  it('reconnects after the server ends the stream and rebuilds from the fresh snapshot', async () => {
    const feed = new InMemoryDashboardFeed();
    const { page, handler, problems } = await open(feed);
    await page.locator('#conn[data-state="live"]').waitFor();
    feed.recordDecision('m', {
      atS: 10,
      action: 'scale-up',
      from: 1,
      to: 2,
      reasons: [ReasonCode.ReactivePanic],
      message: 'before the restart',
    });
    await page.locator('li.decision', { hasText: 'before the restart' }).waitFor();
    handler.close(); // as on a daemon restart: the stream ends, the browser retries after `retry: 2000`
    feed.recordDecision('m', {
      atS: 15,
      action: 'scale-down',
      from: 2,
      to: 1,
      reasons: [ReasonCode.ScaleDownStable],
      message: 'while disconnected',
    });
    await page.locator('li.decision', { hasText: 'while disconnected' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('li.decision').count()).toBe(2);
    expect(handler.clientCount).toBe(1);
    expect(problems.filter((p) => !p.includes('api/events'))).toEqual([]);
  }, 60_000);

  it('draws a realistic run (a few dozen ticks, two models) with every decision as a marker and in the list', async () => {
    const feed = new InMemoryDashboardFeed();
    const { page, problems, outside } = await open(feed);
    await page.locator('#conn[data-state="live"]').waitFor();
    const sla = { latencyTargetP95Ms: 250, capacityPerReplicaPerS: 40, minWarmReplicas: 2, maxReplicas: 12 };
    const a = pushRealisticRun(feed, {
      model: 'resnet50',
      startS: START_S,
      ticks: 60,
      seed: 7,
      demandPerS: stepDemandPerS(60, 330),
      sla,
    });
    const b = pushRealisticRun(feed, {
      model: 'bert-small',
      startS: START_S,
      ticks: 60,
      seed: 11,
      demandPerS: (s) => 25 + 10 * Math.sin(s / 40),
      sla: { latencyTargetP95Ms: 120, capacityPerReplicaPerS: 20, minWarmReplicas: 1, maxReplicas: 6 },
    });
    expect(a.decisions).toBeGreaterThan(2);
    const resnet = page.locator('section.model[data-model="resnet50"]');
    await expect.poll(() => resnet.locator('li.decision').count()).toBe(a.decisions);
    expect(await resnet.locator('svg g.marker').count()).toBe(a.decisions);
    expect(await resnet.locator('svg path.band').count()).toBeGreaterThan(0);
    expect(await resnet.locator('svg path.ready').count()).toBe(1);
    const bert = page.locator('section.model[data-model="bert-small"]');
    await expect.poll(() => bert.locator('li.decision').count()).toBe(b.decisions);
    // Request latency p95 per second against the SLA line (issue 19), seconds over the target marked.
    for (let i = 0; i < 60; i++)
      feed.recordLatency('resnet50', { atS: START_S + i, p95Ms: i % 10 === 0 ? 400 : 80, requests: 30 });
    await expect.poll(() => resnet.locator('svg.latency path.latency-line').count()).toBe(1);
    expect(await resnet.locator('svg.latency line.sla-line').count()).toBe(1);
    expect(await resnet.locator('svg.latency circle.over-sla').count()).toBe(6);
    // Newest decision first in the list.
    const last = feed.snapshot().models[0].decisions.at(-1);
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText() reads the rendered text as a user sees it (line breaks, hidden parts left out); it is not the DOM property the rule means
    expect(await resnet.locator('li.decision').first().innerText()).toContain(last?.message ?? '?');

    // A reload rebuilds the same page from the snapshot in the first event.
    await page.reload();
    await expect.poll(() => page.locator('section.model[data-model="resnet50"] li.decision').count()).toBe(a.decisions);

    const png = join(dir, 'realistic-run.png');
    await page.screenshot({ path: png, fullPage: true });
    if (process.env.WARMPOOL_UPDATE_DOCS === '1') copyFileSync(png, DOCS_PNG);
    expect(statSync(png).size).toBeGreaterThan(20_000);
    expect(problems).toEqual([]);
    expect(outside).toEqual([]);
  }, 60_000);
});
