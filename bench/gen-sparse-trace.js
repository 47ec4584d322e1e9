#!/usr/bin/env node
// Writes a synthetic sparse bursty 1-s trace (issue 18's "traffic it has not seen": most seconds idle, bursts of tens of
// requests every few minutes) as CSV `t,count`, for `node bench/frontier.js FILE`: @warmpool/sim's sparseBurstyDemand,
// the traffic of packages/sim/test/burst-rules-sim.test.ts (0.3/s background, bursts of 15-45/s for 3-15 s every 2-7 min).
//   node bench/gen-sparse-trace.js [--hours 12] [--seed 11] > sparse.csv
import { parseArgs } from 'node:util';
import { sparseBurstyDemand } from '@warmpool/sim';

const { values } = parseArgs({
  options: { hours: { type: 'string', default: '12' }, seed: { type: 'string', default: '11' } },
  strict: true,
});
const seconds = Math.round(Number(values.hours) * 3600);
const seed = Number(values.seed);
if (!(seconds > 60) || !Number.isInteger(seed)) {
  console.error(`--hours must be > 1/60 and --seed an integer (got ${values.hours}, ${values.seed})`);
  process.exit(2);
}
const d = sparseBurstyDemand(seconds, seed);
const lines = ['t,count'];
for (let t = 0; t < seconds; t++) lines.push(`${t},${d[t]}`);
process.stdout.write(`${lines.join('\n')}\n`);
