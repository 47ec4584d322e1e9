// Browser entry of the dashboard: keeps per-model state from the SSE stream and renders one card per model.
import type {
  DashboardDecision,
  DashboardEvent,
  DashboardLatencyPoint,
  DashboardModelState,
  DashboardState,
} from '../feed/dashboard-state.js';
import { drawChart, drawLatencyChart, fmtTime } from './svg-chart.js';

interface ModelView {
  model: string;
  sla: DashboardModelState['sla'];
  points: DashboardModelState['points'][number][];
  decisions: DashboardDecision[];
  latency: DashboardLatencyPoint[];
}

const base = document.body.dataset.base ?? '';
const models = new Map<string, ModelView>();
const dirty = new Set<string>();
let maxPoints = 360;
let maxDecisions = 50;
let frame = 0;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function chip(className: string, label: string, value: string): HTMLElement {
  const node = h('span', `chip ${className}`);
  node.append(`${label} `, h('b', undefined, value));
  return node;
}

function fmtRate(v: number | null): string {
  return v === null ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1);
}

function decisionItem(d: DashboardDecision): HTMLLIElement {
  const kind = d.action === 'scale-up' ? 'up' : d.action === 'scale-down' ? 'down' : 'hold';
  const li = h('li', `decision ${kind}`);
  li.dataset.action = d.action;
  const time = h('time', undefined, fmtTime(d.atS));
  const arrow = kind === 'up' ? '▲' : kind === 'down' ? '▼' : '●';
  const act = h('span', 'act', `${arrow} ${d.from} → ${d.to}`);
  act.title = d.action;
  const reasons = h('span', 'reasons');
  for (const r of d.reasons) reasons.append(h('span', 'reason', r));
  li.append(time, act, reasons, h('span', 'msg', d.message));
  return li;
}

function card(view: ModelView): HTMLElement {
  const section = h('section', 'model');
  section.dataset.model = view.model;
  const head = h('div', 'model-head');
  head.append(h('h2', undefined, view.model));
  const last = view.points[view.points.length - 1];
  if (view.sla) {
    head.append(
      chip('sla', 'SLA p95 ≤', `${view.sla.latencyTargetP95Ms} ms`),
      chip('', 'capacity', `${view.sla.capacityPerReplicaPerS} req/s per replica`),
      chip('', 'replicas', `${view.sla.minWarmReplicas}–${view.sla.maxReplicas}`),
    );
  }
  if (last) {
    head.append(
      chip('', 'demand', `${fmtRate(last.observedPerS)} req/s`),
      chip('now-ready', 'ready', String(last.readyReplicas)),
    );
    if (last.warmingReplicas > 0) head.append(chip('now-warming', 'warming', String(last.warmingReplicas)));
    const cap = view.sla?.capacityPerReplicaPerS;
    if (cap !== undefined && last.observedPerS !== null && last.observedPerS > last.readyReplicas * cap)
      head.append(chip('risk', 'over', 'ready capacity'));
  }
  section.append(head);
  if (view.points.length === 0 && view.decisions.length === 0) {
    section.append(h('p', 'empty', 'Waiting for the first tick…'));
    return section;
  }
  section.append(drawChart(view));
  const legend = h('div', 'legend');
  legend.append(
    h('span', 'l-demand', 'observed demand'),
    h('span', 'l-band', 'forecast p50 – upper (planned window)'),
    h('span', 'l-ready', 'ready capacity'),
    h('span', 'l-warming', 'warming'),
    h('span', 'l-risk', 'demand over ready capacity'),
  );
  section.append(legend);
  if (view.latency.length > 0) {
    section.append(drawLatencyChart(view));
    const l2 = h('div', 'legend');
    l2.append(
      h('span', 'l-latency', 'request latency p95 per second'),
      h('span', 'l-sla', `SLA: p95 ≤ ${view.sla ? `${view.sla.latencyTargetP95Ms} ms` : '(not set)'}`),
    );
    section.append(l2);
  }
  const list = h('ol', 'decisions');
  list.setAttribute('aria-label', `decisions of ${view.model}, newest first`);
  for (const d of [...view.decisions].reverse()) list.append(decisionItem(d));
  if (view.decisions.length === 0) list.append(h('li', 'no-decisions', 'No decisions yet.'));
  section.append(list);
  return section;
}

function render(): void {
  frame = 0;
  const container = document.getElementById('models');
  if (!container) return;
  document.getElementById('empty')?.toggleAttribute('hidden', models.size > 0);
  for (const name of dirty) {
    const view = models.get(name);
    if (!view) continue;
    const next = card(view);
    const current = [...container.querySelectorAll<HTMLElement>('section.model')].find((s) => s.dataset.model === name);
    if (current) current.replaceWith(next);
    else container.append(next);
  }
  dirty.clear();
}

function markDirty(model: string): void {
  dirty.add(model);
  if (frame === 0) frame = requestAnimationFrame(render);
}

function viewOf(model: string): ModelView {
  let view = models.get(model);
  if (!view) {
    view = { model, sla: null, points: [], decisions: [], latency: [] };
    models.set(model, view);
  }
  return view;
}

function applyState(state: DashboardState): void {
  maxPoints = state.maxPoints;
  maxDecisions = state.maxDecisions;
  for (const section of document.querySelectorAll('section.model')) section.remove();
  models.clear();
  for (const m of state.models) {
    models.set(m.model, {
      model: m.model,
      sla: m.sla,
      points: [...m.points],
      decisions: [...m.decisions],
      latency: [...(m.latency ?? [])],
    });
    markDirty(m.model);
  }
  if (state.models.length === 0) render();
}

function applyEvent(event: DashboardEvent): void {
  const view = viewOf(event.model);
  if (event.type === 'sla') view.sla = event.sla;
  else if (event.type === 'tick') {
    view.points.push(event.point);
    if (view.points.length > maxPoints) view.points.splice(0, view.points.length - maxPoints);
  } else if (event.type === 'latency') {
    view.latency.push(event.point);
    if (view.latency.length > maxPoints) view.latency.splice(0, view.latency.length - maxPoints);
  } else {
    view.decisions.push(event.decision);
    if (view.decisions.length > maxDecisions) view.decisions.splice(0, view.decisions.length - maxDecisions);
  }
  markDirty(event.model);
}

function setConnection(state: 'connecting' | 'live' | 'down', text: string): void {
  const node = document.getElementById('conn');
  if (!node) return;
  node.dataset.state = state;
  node.textContent = text;
}

function connect(): void {
  const source = new EventSource(`${base}/api/events`);
  const parse = (message: MessageEvent<string>): unknown => JSON.parse(message.data) as unknown;
  source.addEventListener('open', () => setConnection('live', 'live'));
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) return setConnection('connecting', 'reconnecting…');
    // The browser gives up on a non-200 answer (e.g. 503 when the server has too many streams): retry later.
    setConnection('down', 'disconnected · retrying');
    setTimeout(connect, 5000);
  });
  source.addEventListener('state', (m) => applyState(parse(m) as DashboardState));
  for (const type of ['sla', 'tick', 'decision', 'latency'] as const) {
    source.addEventListener(type, (m) => applyEvent(parse(m) as DashboardEvent));
  }
}

connect();
