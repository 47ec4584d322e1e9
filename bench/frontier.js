#!/usr/bin/env node
// The cost/violation frontier of the predictive policy on chosen traces: its upper quantile swept, each point
// compared with hpa (violations) and oracle (replica-seconds) measured in the same run. Evidence for traces where
// the targets cannot both be met.
// Each fixed quantile applies to every decision (the release quantile set to it: off). Also the default quantile with
// its SLA-pressure tuning on, up to each ceiling of --tuned-max (the model spec's upperQuantileMax), and with each
// release quantile of --release (the spec's releaseQuantile: scale-downs held to it), to compare them with the fixed
// quantiles on the same frontier.
//   node bench/frontier.js TRACE... [--quantiles 0.8,0.9,0.93,0.95,0.99,0.999] [--tuned-max 0.97,0.99]
//     [--release 0.95,0.97,0.99] [--lead-s 45]
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { MODEL_SPEC_DEFAULTS } from '@warmpool/domain';
import { createForecaster } from '@warmpool/forecast';
import { parseTrace, perSecondDemand, simConfigFor, simulatePolicies, runSimulation, predictivePolicy, POLICIES } from '@warmpool/sim';

const { values, positionals } = parseArgs({
  options: { quantiles: { type: 'string', default: '0.8,0.9,0.93,0.95,0.99,0.999' }, 'tuned-max': { type: 'string', default: '0.97,0.99' }, release: { type: 'string', default: '0.95,0.97,0.99' }, 'lead-s': { type: 'string', default: '45' } },
  allowPositionals: true,
  strict: true,
});
const quantiles = values.quantiles.split(',').map(Number);
const tunedMax = values['tuned-max'] ? values['tuned-max'].split(',').map(Number) : [];
const releases = values.release ? values.release.split(',').map(Number) : [];
const leadS = Number(values['lead-s']);
const makeForecaster = (quantile, stepS) => createForecaster('ensemble', { quantile, stepS });
let md = '| trace | policy | violating | violating / hpa | replica-s / oracle |\n|---|---|---:|---:|---:|\n';
for (const file of positionals) {
  const trace = parseTrace(readFileSync(file, 'utf8'), basename(file));
  const demand = perSecondDemand(trace, 'uniform');
  const config = simConfigFor(demand, trace.binS, { leadS });
  const base = Object.fromEntries(simulatePolicies(demand, config, ['hpa', 'kpa', 'aws-predictive', 'oracle'], POLICIES, { traceName: trace.name }).map((r) => [r.policy, r]));
  const row = (name, r) => `| ${trace.name} | ${name} | ${r.violatingRequests.toFixed(0)} | ${(r.violatingRequests / base.hpa.violatingRequests).toFixed(3)} | ${(r.replicaSeconds / base.oracle.replicaSeconds).toFixed(3)} |\n`;
  for (const n of ['hpa', 'kpa', 'aws-predictive']) md += row(n, base[n]);
  for (const q of quantiles) {
    const factory = predictivePolicy({ upperQuantile: q, releaseQuantile: q, makeForecaster });
    md += row(`predictive q=${q}`, runSimulation(demand, config, factory, { traceName: trace.name }));
  }
  for (const max of tunedMax) {
    const factory = predictivePolicy({ upperQuantileMax: max, releaseQuantile: MODEL_SPEC_DEFAULTS.upperQuantile, makeForecaster });
    md += row(`predictive tuned to <= ${max}`, runSimulation(demand, config, factory, { traceName: trace.name }));
  }
  for (const rq of releases) {
    const factory = predictivePolicy({ releaseQuantile: rq, makeForecaster });
    md += row(`predictive release q=${rq}`, runSimulation(demand, config, factory, { traceName: trace.name }));
  }
}
console.log(md);
