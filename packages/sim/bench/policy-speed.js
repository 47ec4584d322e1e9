// Simulation speed per policy on one trace (default: the 7-day 1-s NASA trace, 604,800 s).
// Usage: npx tsc -b packages/sim && node packages/sim/bench/policy-speed.js [TRACE] [--repeat N]
// Prints the median wall time per policy over N runs and its ratio to `static` measured in the same run.
import { readFileSync } from 'node:fs';
import { POLICIES, POLICY_NAMES, parseTrace, perSecondDemand, runSimulation, simConfigFor } from '../dist/index.js';

const args = process.argv.slice(2);
const repeatAt = args.indexOf('--repeat');
const repeat = repeatAt >= 0 ? Number(args[repeatAt + 1]) : 3;
const file =
  args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--repeat') ??
  '/work/shared/traces/nasa_http/jul1995_week1_1s.csv';

const trace = parseTrace(readFileSync(file, 'utf8'), file);
const demand = perSecondDemand(trace);
const config = simConfigFor(demand, trace.binS, {});
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const rows = POLICY_NAMES.map((name) => {
  const times = [];
  let result;
  for (let i = 0; i < repeat; i++) {
    const started = performance.now();
    result = runSimulation(demand, config, POLICIES[name], { traceName: file });
    times.push(performance.now() - started);
  }
  return { name, ms: median(times), result };
});
const base = rows.find((r) => r.name === 'static')?.ms ?? 1;
console.log(`${file}: ${demand.length} s, median of ${repeat} runs`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(16)} ${r.ms.toFixed(1).padStart(8)} ms  x${(r.ms / base).toFixed(2).padStart(6)} vs static  ` +
      `violating ${(100 * r.result.violatingFraction).toFixed(3)} %  replica-s ${r.result.replicaSeconds}`,
  );
}
