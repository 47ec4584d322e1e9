import { paretoFrontier, type FrontierReport, type FrontierVerdict } from './frontier.js';

const f = (v: number, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : String(v));

/** Summary: per trace and violation count, predictive's default against the best baseline at no more cost. */
export function renderFrontierSummary(reports: readonly FrontierReport[]): string {
  let md =
    '| trace | count | predictive default: cost/oracle, violating | best baseline at no more cost | its cost/oracle, violating | ratio (target <= 0.25) | predictive frontier above a baseline at cost x oracle (1.0-2.0) |\n|---|---|---|---|---|---:|---|\n';
  for (const r of reports) {
    for (const v of r.verdicts) md += summaryRow(r.trace, v);
  }
  return md;
}

function summaryRow(trace: string, v: FrontierVerdict): string {
  const b = v.bestBaseline;
  const metric = v.metric === 'violatingRequests' ? 'fluid' : 'latency SLO';
  const none = new Set(v.noPointAtCosts);
  const worse = v.frontierAboveAtCosts.filter((c) => !none.has(c));
  const parts: string[] = [];
  if (none.size > 0 && v.frontierAboveAtCosts.some((c) => none.has(c)))
    parts.push(`no point at cost <= ${Math.max(...v.noPointAtCosts).toFixed(2)}`);
  if (worse.length > 0) parts.push(`more violations at ${worse.map((c) => c.toFixed(2)).join(', ')}`);
  const above = parts.length === 0 ? 'nowhere' : parts.join('; ');
  return `| ${trace} | ${metric} | ${f(v.predictive.costVsOracle)}, ${f(v.predictive[v.metric], 0)} | ${b ? `${b.policy} ${b.value}` : 'none that cheap'} | ${b ? `${f(b.costVsOracle)}, ${f(b[v.metric], 0)}` : '-'} | ${f(v.ratio)} ${v.meetsRatio ? 'ok' : 'MISSED'} | ${above} |\n`;
}

/** Every policy's Pareto frontier (fluid count) per trace, with the latency-SLO count of the same points. */
export function renderFrontierPoints(reports: readonly FrontierReport[]): string {
  let md =
    '| trace | policy | knob value | cost/oracle | violating (fluid) | violating (latency SLO) |\n|---|---|---|---:|---:|---:|\n';
  for (const r of reports) {
    const policies = [...new Set(r.points.map((p) => p.policy))];
    for (const name of policies) {
      const mine = r.points.filter((p) => p.policy === name);
      const front = new Set(paretoFrontier(mine, 'violatingRequests'));
      for (const p of mine) if (p.isDefault) front.add(p);
      for (const p of [...front].sort((a, b) => a.costVsOracle - b.costVsOracle)) {
        md += `| ${r.trace} | ${name} | ${p.value}${p.isDefault ? ' (default)' : ''} | ${f(p.costVsOracle)} | ${f(p.violatingRequests, 0)} | ${f(p.sloViolatingRequests, 0)} |\n`;
      }
    }
  }
  return md;
}
