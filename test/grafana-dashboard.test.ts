import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LoadBalancerMetrics } from '@warmpool/load-balancer';
import { exposedMetricNames } from '@warmpool/testing/prometheus';
import { ReplicaMetrics } from '@warmpool/warmup';
import { DaemonMetrics } from '../services/autoscaler/src/http/daemon-metrics.js';
import { metricNamesIn } from './support/promql.js';

const DASHBOARD = new URL('../infra/grafana/warmpool-dashboard.json', import.meta.url);

interface Target {
  readonly expr?: string;
}
interface Panel {
  readonly title: string;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Dashboard {
  readonly panels: readonly Panel[];
  readonly annotations: { readonly list: readonly { readonly name: string; readonly expr?: string }[] };
  readonly templating: {
    readonly list: readonly {
      readonly name: string;
      readonly type: string;
      readonly query?: string | { readonly query: string };
    }[];
  };
}

/** Every PromQL query in the dashboard, named by where it is. */
function queriesOf(d: Dashboard): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const walk = (panels: readonly Panel[]): void => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `panel "${p.title}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(d.panels);
  for (const a of d.annotations.list) if (a.expr) out.push({ where: `annotation "${a.name}"`, expr: a.expr });
  for (const v of d.templating.list) {
    if (v.type !== 'query' || !v.query) continue;
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    const lv = /^label_values\(\s*([^,)]+)/.exec(q);
    out.push({ where: `variable $${v.name}`, expr: lv ? lv[1]! : q });
  }
  return out;
}

/** Names the code exports: the daemon's, the model server's and the load balancer's registries, as scraped. */
async function exportedNames(): Promise<Set<string>> {
  const daemon = await new DaemonMetrics().metrics();
  const replica = await new ReplicaMetrics({ replicas: () => [], bufferedBodyBytes: () => 0 }).render();
  const pool = { list: () => [], weight: () => 1 };
  const demand = { modelNames: () => [], series: () => ({ startMs: 0, counts: [0] }) };
  const lb = await new LoadBalancerMetrics(
    pool as never,
    demand as never,
    { usedBytes: 0, capBytes: 1 } as never,
    () => 0,
    () => 0,
  ).render();
  return new Set([...exposedMetricNames(daemon), ...exposedMetricNames(replica), ...exposedMetricNames(lb)]);
}

describe('the Grafana dashboard (infra/grafana/warmpool-dashboard.json)', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;

  it('metricNamesIn finds metric names and nothing else', () => {
    expect(
      metricNamesIn('histogram_quantile(0.95, sum by (le, model) (rate(a_seconds_bucket{model=~"$model"}[1m])))'),
    ).toEqual(['a_seconds_bucket']);
    expect(metricNamesIn('process_resident_memory_bytes / 1e9 > 0.5 and on (job) up')).toEqual([
      'process_resident_memory_bytes',
      'up',
    ]);
    expect(metricNamesIn('sum by (x) (increase(b_total{action!="hold"}[$__rate_interval])) > 0')).toEqual(['b_total']);
  });

  it('every query names only metrics the daemon, the model server or the load balancer export', async () => {
    const exported = await exportedNames();
    const queries = queriesOf(dashboard);
    expect(queries.length).toBeGreaterThan(10);
    const unknown = queries.flatMap((q) =>
      metricNamesIn(q.expr)
        .filter((n) => !exported.has(n))
        .map((n) => `${q.where}: ${n}`),
    );
    expect(unknown).toEqual([]);
    for (const q of queries) expect(metricNamesIn(q.expr).length, `${q.where}: ${q.expr}`).toBeGreaterThan(0);
  });

  it('plots demand vs forecast band vs capacity, latency p95 vs the SLA, and decisions as annotations', () => {
    const byTitle = new Map(
      dashboard.panels.map((p) => [p.title, (p.targets ?? []).map((t) => t.expr ?? '').join('\n')]),
    );
    const demand = byTitle.get('Demand vs forecast band vs capacity: $model')!;
    for (const n of [
      'warmpool_demand_observed_requests_per_second',
      'warmpool_forecast_p50_requests_per_second',
      'warmpool_forecast_upper_requests_per_second',
      'warmpool_capacity_ready_requests_per_second',
    ]) {
      expect(demand).toContain(n);
    }
    const latency = byTitle.get('Request latency p95 vs SLA: $model')!;
    expect(latency).toMatch(/histogram_quantile\(0\.95, .*warmpool_lb_request_duration_seconds_bucket/);
    expect(latency).toContain('warmpool_sla_latency_target_p95_seconds');
    // the band: the p50 series fills to the upper one, named as that panel's legend names it
    const demandPanel = dashboard.panels.find((p) => p.title.startsWith('Demand vs forecast band')) as unknown as {
      repeat: string;
      targets: { legendFormat: string }[];
      fieldConfig: { overrides: { matcher: { options: string }; properties: { id: string; value: unknown }[] }[] };
    };
    expect(dashboard.templating.list.map((v) => v.name)).toContain(demandPanel.repeat);
    const legends = demandPanel.targets.map((t) => t.legendFormat);
    const fills = demandPanel.fieldConfig.overrides.flatMap((o) =>
      o.properties.filter((p) => p.id === 'custom.fillBelowTo').map((p) => [o.matcher.options, p.value]),
    );
    expect(fills).toEqual([['forecast p50', 'forecast upper']]);
    for (const [from, to] of fills) expect(legends).toEqual(expect.arrayContaining([from, to]));
    const decisions = dashboard.annotations.list.find((a) => a.name === 'Scale decisions');
    expect(decisions?.expr).toContain('warmpool_decisions_total');
  });
});
