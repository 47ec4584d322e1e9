#!/usr/bin/env node
// Runs every simulator policy on every trace under a folder and prints a markdown table with the
// ratios the project is judged by, all measured side by side in this one run.
//   npm run bench:sim -- --traces DIR [--lead-s 45] [--interp uniform|linear] [--queue] [--out FILE] [--json]
//   npm run bench:sim -- --frontier [--traces DIR] [--results bench/RESULTS.md]   (bench/frontier.js: the frontier)
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseTrace, perSecondDemand, simConfigFor, simulatePolicies, POLICIES } from '@warmpool/sim';
import { csvFiles } from './bench-support.js';

if (process.argv.includes('--frontier')) {
  const { main } = await import('./frontier.js');
  process.exit(main(process.argv.slice(2)));
}

const { values } = parseArgs({
  options: {
    traces: { type: 'string' },
    'lead-s': { type: 'string', default: '45' },
    out: { type: 'string' },
    json: { type: 'boolean', default: false },
    policy: { type: 'string' },
    queue: { type: 'boolean', default: false },
    interp: { type: 'string', default: 'uniform' },
  },
  strict: true,
});
const here = new URL('.', import.meta.url).pathname;
const shared = resolve(here, '../../shared/traces');
const dir = resolve(values.traces ?? (existsSync(shared) ? shared : resolve(here, '../fixtures/traces')));
const leadS = Number(values['lead-s']);
if (!Number.isInteger(leadS) || leadS < 0) {
  console.error(`--lead-s: got "${values['lead-s']}", allowed: an integer >= 0`);
  process.exit(2);
}

const names = values.policy ? values.policy.split(',') : Object.keys(POLICIES);
const rows = [];
const verdicts = [];
for (const file of csvFiles(dir)) {
  const name = relative(dir, file);
  const trace = parseTrace(readFileSync(file, 'utf8'), name);
  const demand = perSecondDemand(trace, values.interp === 'linear' ? 'linear' : 'uniform');
  const config = simConfigFor(demand, trace.binS, { leadS, queue: values.queue });
  const results = simulatePolicies(demand, config, names, POLICIES, { traceName: name });
  rows.push(...results);
  const by = Object.fromEntries(results.map((r) => [r.policy, r]));
  const p = by.predictive;
  if (p && by.hpa && by.oracle) {
    const vsHpa =
      by.hpa.violatingRequests > 0
        ? p.violatingRequests / by.hpa.violatingRequests
        : p.violatingRequests === 0
          ? 0
          : Infinity;
    const beats = (b) => !b || (p.violatingRequests <= b.violatingRequests && p.replicaSeconds <= b.replicaSeconds);
    const vs = (b) =>
      b
        ? {
            viol:
              b.violatingRequests > 0
                ? p.violatingRequests / b.violatingRequests
                : p.violatingRequests > 0
                  ? Infinity
                  : 0,
            cost: p.replicaSeconds / b.replicaSeconds,
          }
        : undefined;
    verdicts.push({
      trace: name,
      violVsHpa: vsHpa,
      costVsOracle: p.costVsOracle,
      meetsHpa: vsHpa <= 0.1,
      meetsOracle: p.costVsOracle <= 1.25,
      beatsKpa: beats(by.kpa),
      beatsAws: beats(by['aws-predictive']),
      vsKpa: vs(by.kpa),
      vsAws: vs(by['aws-predictive']),
      maxSimS: Math.max(...results.map((r) => r.simMs)) / 1000,
      durationS: p.durationS,
    });
  }
}

const f = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
let md = `| trace | policy | requests | violating | violating % | replica-s | cost/oracle | scale-ups | max replicas | sim s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n`;
for (const r of rows) {
  md += `| ${r.trace} | ${r.policy} | ${f(r.totalRequests, 0)} | ${f(r.violatingRequests, 0)} | ${f(r.violatingFraction * 100, 4)} | ${f(r.replicaSeconds, 0)} | ${f(r.costVsOracle)} | ${r.scaleUps} | ${r.maxReplicas} | ${f(r.simMs / 1000, 2)} |\n`;
}
if (verdicts.length) {
  md += `\n| trace | predictive violations / hpa (target <= 0.10) | predictive cost / oracle (target <= 1.25) | violations / kpa, cost / kpa | violations / aws-predictive, cost / aws-predictive | beats kpa and aws at no more cost | slowest policy (s) |\n|---|---:|---:|---:|---:|---|---:|\n`;
  const pair = (x) => (x ? `${f(x.viol)}, ${f(x.cost)}` : '-');
  for (const v of verdicts) {
    md += `| ${v.trace} | ${f(v.violVsHpa)} ${v.meetsHpa ? 'ok' : 'MISSED'} | ${f(v.costVsOracle)} ${v.meetsOracle ? 'ok' : 'MISSED'} | ${pair(v.vsKpa)} | ${pair(v.vsAws)} | ${v.beatsKpa && v.beatsAws ? 'yes' : 'no'} | ${f(v.maxSimS, 2)} |\n`;
  }
}
if (values.json) console.log(JSON.stringify({ rows, verdicts }, null, 2));
else console.log(md);
if (values.out) writeFileSync(values.out, md);
