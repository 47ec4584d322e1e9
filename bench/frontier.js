#!/usr/bin/env node
// The violation-vs-cost frontier (issue 18) on every shared trace: every policy's main knob swept (predictive's risk,
// HPA/KPA/AWS predictive scaling's target utilization, recent-max's window and headroom), each policy's Pareto
// frontier, and predictive's default point against the best baseline at no more cost, for the fluid count and the
// latency-SLO queueing model. All runs of a trace in one process, costs over the oracle's of the same run.
//   node bench/frontier.js [--traces DIR | FILE...] [--lead-s 45] [--nowcast-anchor off|max|replace] [--out FILE]
//                          [--results bench/RESULTS.md] [--json]
//   npm run bench:sim -- --frontier [same flags]
// --nowcast-anchor: predictive's planner option `nowcastAnchor` (default `max`; `off` to measure without it).
// --results replaces the section between the frontier markers of that file (the rest of it is left as it is).
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  parseTrace,
  perSecondDemand,
  simConfigFor,
  sweepFrontier,
  frontierSweeps,
  POLICIES,
  renderFrontierSummary,
  renderFrontierPoints,
} from '@warmpool/sim';
import { NOWCAST_ANCHORS } from '@warmpool/planner';
import { csvFiles } from './bench-support.js';

const START = '<!-- frontier:start (written by node bench/frontier.js --results) -->';
const END = '<!-- frontier:end -->';

/** Runs the frontier on every file; returns the reports and their markdown. */
export function runFrontier(files, root, { leadS = 45, planner, log = () => {} } = {}) {
  const reports = [];
  const timings = [];
  for (const file of files) {
    const name = root ? relative(root, file) : file;
    const trace = parseTrace(readFileSync(file, 'utf8'), name);
    const demand = perSecondDemand(trace, 'uniform');
    const config = simConfigFor(demand, trace.binS, { leadS });
    const t0 = performance.now();
    reports.push(sweepFrontier(demand, config, frontierSweeps(planner), POLICIES.oracle, { traceName: name }));
    const s = (performance.now() - t0) / 1000;
    timings.push({ trace: name, s });
    log(`${name}: ${s.toFixed(1)} s`);
  }
  const md = `### Predictive's default against the best baseline at no more cost\n\n${renderFrontierSummary(reports)}\n### Each policy's frontier (Pareto points of its sweep, defaults marked)\n\n${renderFrontierPoints(reports)}`;
  return { reports, timings, md };
}

export function main(argv) {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      traces: { type: 'string' },
      'lead-s': { type: 'string', default: '45' },
      'nowcast-anchor': { type: 'string' },
      out: { type: 'string' },
      results: { type: 'string' },
      json: { type: 'boolean', default: false },
      frontier: { type: 'boolean', default: true },
    },
    allowPositionals: true,
    strict: true,
  });
  const here = new URL('.', import.meta.url).pathname;
  const shared = resolve(here, '../../shared/traces');
  const root =
    positionals.length > 0
      ? undefined
      : resolve(values.traces ?? (existsSync(shared) ? shared : resolve(here, '../fixtures/traces')));
  const files = positionals.length > 0 ? positionals : csvFiles(root);
  const leadS = Number(values['lead-s']);
  if (!Number.isInteger(leadS) || leadS < 0) {
    console.error(`--lead-s: got "${values['lead-s']}", allowed: an integer >= 0`);
    return 2;
  }
  const anchor = values['nowcast-anchor'];
  if (anchor !== undefined && !NOWCAST_ANCHORS.includes(anchor)) {
    console.error(`--nowcast-anchor: got "${anchor}", allowed: ${NOWCAST_ANCHORS.join(', ')}`);
    return 2;
  }
  const planner = anchor !== undefined ? { nowcastAnchor: anchor } : undefined;
  const { reports, timings, md } = runFrontier(files, root, { leadS, planner, log: (s) => console.error(s) });
  if (values.json)
    console.log(
      JSON.stringify(
        { reports, timings },
        (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x),
        2,
      ),
    );
  else console.log(md);
  if (values.out) writeFileSync(values.out, md);
  if (values.results) {
    const text = existsSync(values.results) ? readFileSync(values.results, 'utf8') : '';
    const a = text.indexOf(START);
    const b = text.indexOf(END);
    const block = `${START}\n${md}\n${END}`;
    const next =
      a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + END.length) : `${text.trimEnd()}\n\n${block}\n`;
    writeFileSync(values.results, next);
    console.error(`wrote the frontier section of ${values.results}`);
  }
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = main(process.argv.slice(2));
