// Browser code: draws one model's chart as SVG. No library: scales, ticks and paths are the few lines below.
import type { DashboardDecision, DashboardModelState, DashboardPoint } from '../feed/dashboard-state.js';

const SVG_NS = 'http://www.w3.org/2000/svg';
const WIDTH = 960;
const HEIGHT = 280;
const M = { left: 52, right: 52, top: 22, bottom: 28 };

/** Clock-friendly tick spacings for the time axis, seconds. */
const TIME_STEPS_S = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

type Attrs = Record<string, string | number>;

function el<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  parent?: Element,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  parent?.appendChild(node);
  return node;
}

/** 1, 2 or 5 times a power of ten, so that about `count` ticks cover [0, max]. */
function niceStep(max: number, count: number): number {
  const raw = Math.max(max, 1e-9) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const f = raw / power;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
}

function fmtNumber(v: number): string {
  if (v >= 1000) return `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

/** Epoch seconds print as UTC clock time; small values (trace seconds) as `123s`. */
export function fmtTime(atS: number): string {
  if (atS > 1e8) return new Date(atS * 1000).toISOString().slice(11, 19);
  return `${Math.round(atS)}s`;
}

function decisionText(d: DashboardDecision): string {
  return `${fmtTime(d.atS)}  ${d.action} ${d.from} → ${d.to}\n${d.reasons.join(', ')}\n${d.message}`;
}

/** x of the forecast: the middle of the planned window (ahead of the tick by the lead time). */
function forecastAtS(p: DashboardPoint): number {
  return p.windowStartS !== null && p.windowEndS !== null ? (p.windowStartS + p.windowEndS) / 2 : p.atS;
}

/** Splits into runs of consecutive defined values, so gaps in the data stay gaps in the line. */
function runs<T>(items: readonly T[], defined: (item: T) => boolean): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  for (const item of items) {
    if (defined(item)) current.push(item);
    else if (current.length > 0) {
      out.push(current);
      current = [];
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

export function drawChart(state: DashboardModelState): SVGSVGElement {
  const svg = el('svg', {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: 'chart',
    role: 'img',
    'aria-label': `demand, forecast and replicas of ${state.model}`,
  });
  const points = state.points;
  const cap = state.sla?.capacityPerReplicaPerS ?? null;
  const lastPoint = points[points.length - 1];

  // x domain: first tick .. the end of the last planned window (the forecast looks ahead).
  const times = [
    ...points.map((p) => p.atS),
    ...points.map((p) => p.windowEndS ?? forecastAtS(p)),
    ...state.decisions.map((d) => d.atS),
  ];
  let t0 = Math.min(...times);
  let t1 = Math.max(...times);
  if (!(t1 > t0)) {
    t0 -= 30;
    t1 += 30;
  }
  // y domain (req/s), shared by the replicas axis through the capacity per replica.
  const values: number[] = [1];
  for (const p of points) {
    for (const v of [p.observedPerS, p.forecastUpperPerS, p.forecastP50PerS]) if (v !== null) values.push(v);
    if (cap !== null) values.push((p.readyReplicas + p.warmingReplicas) * cap);
  }
  const step = niceStep(Math.max(...values) * 1.08, 5);
  const yMax = Math.ceil((Math.max(...values) * 1.08) / step) * step;
  const x = (s: number): number => M.left + ((s - t0) / (t1 - t0)) * (WIDTH - M.left - M.right);
  const y = (v: number): number => HEIGHT - M.bottom - (Math.min(v, yMax) / yMax) * (HEIGHT - M.top - M.bottom);
  const xr = WIDTH - M.right;

  // Grid and the left axis (req/s).
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    el('line', { class: 'grid', x1: M.left, x2: xr, y1: y(v), y2: y(v) }, svg);
    el('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end' }, svg).textContent = fmtNumber(v);
  }
  el('text', { class: 'axis-title', x: M.left - 6, y: 12, 'text-anchor': 'end' }, svg).textContent = 'req/s';
  // Right axis: replicas (x capacity per replica).
  if (cap !== null) {
    const rMax = yMax / cap;
    const rStep = Math.max(1, niceStep(rMax, 5));
    for (let r = 0; r <= rMax + 1e-9; r += rStep) {
      el('text', { x: xr + 6, y: y(r * cap) + 4 }, svg).textContent = String(Math.round(r));
    }
    el('text', { class: 'axis-title', x: xr + 6, y: 12 }, svg).textContent = 'replicas';
  }
  // Time axis.
  const tStep = TIME_STEPS_S.find((stepS) => (t1 - t0) / stepS <= 7) ?? niceStep(t1 - t0, 6);
  for (let t = Math.ceil(t0 / tStep) * tStep; t <= t1; t += tStep) {
    el('text', { x: x(t), y: HEIGHT - 8, 'text-anchor': 'middle' }, svg).textContent = fmtTime(t);
  }

  if (cap !== null && points.length > 0) {
    // Capacity as steps: ready replicas, then warming ones stacked on top.
    const stepPath = (level: (p: DashboardPoint) => number, base: (p: DashboardPoint) => number): string => {
      const top: string[] = [];
      const bottom: string[] = [];
      points.forEach((p, i) => {
        const xa = x(p.atS);
        const xb = i + 1 < points.length ? x(points[i + 1].atS) : x(p.atS) + 4;
        top.push(`${xa},${y(level(p) * cap)}`, `${xb},${y(level(p) * cap)}`);
        bottom.unshift(`${xb},${y(base(p) * cap)}`, `${xa},${y(base(p) * cap)}`);
      });
      return `M${top.join('L')}L${bottom.join('L')}Z`;
    };
    el(
      'path',
      {
        class: 'warming',
        d: stepPath(
          (p) => p.readyReplicas + p.warmingReplicas,
          (p) => p.readyReplicas,
        ),
      },
      svg,
    );
    el(
      'path',
      {
        class: 'ready',
        d: stepPath(
          (p) => p.readyReplicas,
          () => 0,
        ),
      },
      svg,
    );
    // Where demand exceeded ready capacity the SLA is at risk: shade those intervals.
    points.forEach((p, i) => {
      if (p.observedPerS === null || p.observedPerS <= p.readyReplicas * cap) return;
      const xb = i + 1 < points.length ? x(points[i + 1].atS) : x(p.atS) + 4;
      el(
        'rect',
        { class: 'risk', x: x(p.atS), y: M.top, width: Math.max(1, xb - x(p.atS)), height: HEIGHT - M.top - M.bottom },
        svg,
      );
    });
    if (state.sla) {
      for (const [replicas, label] of [
        [state.sla.minWarmReplicas, 'min warm'],
        [state.sla.maxReplicas, 'max'],
      ] as const) {
        if (replicas * cap > yMax || replicas === 0) continue;
        el('line', { class: 'limit', x1: M.left, x2: xr, y1: y(replicas * cap), y2: y(replicas * cap) }, svg);
        el('text', { x: M.left + 4, y: y(replicas * cap) - 4 }, svg).textContent = `${label} ${replicas}`;
      }
    }
  }

  // Forecast band: p50 .. upper quantile over the planned window.
  const byWindow = [...points].sort((a, b) => forecastAtS(a) - forecastAtS(b));
  for (const run of runs(byWindow, (p) => p.forecastP50PerS !== null && p.forecastUpperPerS !== null)) {
    if (run.length === 1) {
      // A lone forecast: a box over its planned window.
      const [p] = run;
      const xa = x(p.windowStartS ?? p.atS) - (p.windowStartS === null ? 2 : 0);
      const xb = Math.max(xa + 4, x(p.windowEndS ?? p.atS));
      el(
        'rect',
        {
          class: 'band',
          x: xa,
          width: xb - xa,
          y: y(p.forecastUpperPerS as number),
          height: Math.max(1, y(p.forecastP50PerS as number) - y(p.forecastUpperPerS as number)),
        },
        svg,
      );
      el(
        'line',
        { class: 'p50', x1: xa, x2: xb, y1: y(p.forecastP50PerS as number), y2: y(p.forecastP50PerS as number) },
        svg,
      );
      el(
        'line',
        { class: 'upper', x1: xa, x2: xb, y1: y(p.forecastUpperPerS as number), y2: y(p.forecastUpperPerS as number) },
        svg,
      );
      continue;
    }
    const upper = run.map((p) => `${x(forecastAtS(p))},${y(p.forecastUpperPerS as number)}`);
    const p50 = run.map((p) => `${x(forecastAtS(p))},${y(p.forecastP50PerS as number)}`);
    el('path', { class: 'band', d: `M${upper.join('L')}L${[...p50].reverse().join('L')}Z` }, svg);
    el('path', { class: 'upper', d: `M${upper.join('L')}` }, svg);
    el('path', { class: 'p50', d: `M${p50.join('L')}` }, svg);
  }
  // Observed demand.
  for (const run of runs(points, (p) => p.observedPerS !== null)) {
    if (run.length === 1)
      el('circle', { class: 'demand-dot', cx: x(run[0].atS), cy: y(run[0].observedPerS as number), r: 3 }, svg);
    else
      el(
        'path',
        { class: 'demand', d: `M${run.map((p) => `${x(p.atS)},${y(p.observedPerS as number)}`).join('L')}` },
        svg,
      );
  }
  // Now: the last tick; right of it is the forecast only.
  if (lastPoint) {
    el('line', { class: 'now', x1: x(lastPoint.atS), x2: x(lastPoint.atS), y1: M.top, y2: HEIGHT - M.bottom }, svg);
    el('text', { x: x(lastPoint.atS) + 4, y: M.top + 10 }, svg).textContent = 'now';
  }
  // Decisions: a marker per decision, the reasons on hover.
  for (const d of state.decisions) {
    const kind = d.action === 'scale-up' ? 'up' : d.action === 'scale-down' ? 'down' : 'hold';
    const g = el('g', { class: `marker ${kind}`, 'data-action': d.action }, svg);
    el('title', {}, g).textContent = decisionText(d);
    const xd = x(d.atS);
    if (kind !== 'hold') el('line', { x1: xd, x2: xd, y1: M.top, y2: HEIGHT - M.bottom }, g);
    const yt = M.top - 8;
    const shape =
      kind === 'up'
        ? `M${xd - 5},${yt + 5}L${xd + 5},${yt + 5}L${xd},${yt - 4}Z`
        : kind === 'down'
          ? `M${xd - 5},${yt - 4}L${xd + 5},${yt - 4}L${xd},${yt + 5}Z`
          : `M${xd - 3},${yt}a3,3 0 1,0 6,0a3,3 0 1,0 -6,0`;
    el('path', { d: shape }, g);
  }
  return svg;
}

/** Request latency p95 per second (a line) against the SLA's p95 target (a dashed line); seconds over it in red. */
export function drawLatencyChart(state: Pick<DashboardModelState, 'model' | 'sla' | 'latency'>): SVGSVGElement {
  const height = 160;
  const svg = el('svg', {
    viewBox: `0 0 ${WIDTH} ${height}`,
    class: 'chart latency',
    role: 'img',
    'aria-label': `request latency p95 per second of ${state.model} against the SLA`,
  });
  const pts = state.latency;
  const target = state.sla?.latencyTargetP95Ms ?? null;
  let t0 = Math.min(...pts.map((p) => p.atS));
  let t1 = Math.max(...pts.map((p) => p.atS + 1));
  if (!(t1 > t0)) {
    t0 -= 30;
    t1 += 30;
  }
  const yMax = Math.max(1, target ?? 0, ...pts.map((p) => p.p95Ms)) * 1.1;
  const x = (t: number): number => M.left + ((t - t0) / (t1 - t0)) * (WIDTH - M.left - M.right);
  const y = (v: number): number => height - M.bottom - (v / yMax) * (height - M.top - M.bottom);
  const step = niceStep(yMax, 4);
  for (let v = 0; v <= yMax; v += step) {
    el('line', { x1: M.left, x2: WIDTH - M.right, y1: y(v), y2: y(v), class: 'grid' }, svg);
    el('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'axis' }, svg).textContent =
      `${fmtNumber(v)} ms`;
  }
  const tStep = TIME_STEPS_S.find((s) => (t1 - t0) / s <= 8) ?? 86400;
  for (let t = Math.ceil(t0 / tStep) * tStep; t <= t1; t += tStep) {
    el('text', { x: x(t), y: height - 8, 'text-anchor': 'middle', class: 'axis' }, svg).textContent = fmtTime(t);
  }
  if (target !== null) {
    el(
      'line',
      {
        x1: M.left,
        x2: WIDTH - M.right,
        y1: y(target),
        y2: y(target),
        class: 'sla-line',
        stroke: '#c0392b',
        'stroke-dasharray': '6 4',
      },
      svg,
    );
    el('text', { x: WIDTH - M.right + 4, y: y(target) + 4, class: 'axis' }, svg).textContent = `SLA ${target}`;
  }
  const d = pts.map((p, i) => `${i === 0 ? 'M' : 'L'}${x(p.atS + 0.5).toFixed(1)},${y(p.p95Ms).toFixed(1)}`).join('');
  if (d) el('path', { d, class: 'latency-line', fill: 'none', stroke: '#2c3e50', 'stroke-width': 1.5 }, svg);
  for (const p of pts) {
    if (target === null || p.p95Ms <= target) continue;
    const dot = el('circle', { cx: x(p.atS + 0.5), cy: y(p.p95Ms), r: 2.5, class: 'over-sla', fill: '#c0392b' }, svg);
    el('title', {}, dot).textContent = `${fmtTime(p.atS)}: p95 ${p.p95Ms} ms over ${p.requests} requests`;
  }
  return svg;
}
