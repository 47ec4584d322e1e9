// Benchmark (not a test): observe + forecast(h) every step over a synthetic 7-day 1-s trace
// aggregated to 5-s steps (120,960 steps), per forecaster, with the reactive forecaster as the
// baseline measured in the same run. Build first: npx tsc -b packages/forecast
// Usage: node packages/forecast/bench/forecast-bench.mjs [horizonSteps=30] [repeats=3]
import { aggregateSteps, createForecaster, FORECASTER_NAMES } from '../dist/index.js';

const horizon = Number(process.argv[2] ?? 30);
const repeats = Number(process.argv[3] ?? 3);
let seed = 12345;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const counts = new Float64Array(7 * 86_400);
for (let t = 0; t < counts.length; t++) {
  const rate = 5 * (1 + 0.8 * Math.sin((2 * Math.PI * t) / 86_400));
  // cheap Poisson-ish draw: sum of Bernoullis over 10 slots
  let c = 0;
  for (let k = 0; k < 10; k++) if (rand() < rate / 10) c++;
  counts[t] = c;
}
const steps = aggregateSteps(counts, 1);

function run(name) {
  const f = createForecaster(name);
  let sink = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const s of steps) {
    f.observe(s);
    sink += f.forecast(horizon).peakUpperPerS[horizon - 1];
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  if (!Number.isFinite(sink)) throw new Error('non-finite forecast');
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

// Interleaved repeats, best run reported: on a shared machine the minimum is the least noisy.
const all = Object.fromEntries(FORECASTER_NAMES.map((n) => [n, []]));
for (let r = 0; r < repeats; r++) for (const name of FORECASTER_NAMES) all[name].push(run(name));
const results = {};
for (const name of FORECASTER_NAMES) results[name] = all[name].sort((a, b) => a.ms - b.ms)[0];
const base = results.reactive;
console.log(`steps=${steps.length} horizon=${horizon} (best of ${repeats}, interleaved)`);
console.log(
  `load average (1 min): ${(await import('node:os')).loadavg()[0].toFixed(2)} — wall times on a shared machine are noisy; cpu ms less so`,
);
for (const [name, { ms, cpuMs }] of Object.entries(results)) {
  console.log(
    `${name.padEnd(16)} ${ms.toFixed(0).padStart(6)} ms wall ${cpuMs.toFixed(0).padStart(6)} ms cpu  ${((ms / steps.length) * 1000).toFixed(2)} us/step  ${(ms / base.ms).toFixed(2)}x reactive`,
  );
}
