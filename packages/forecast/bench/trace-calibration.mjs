// Development aid (not a test): backtests the forecasters on every trace CSV under a directory
// and prints MAPE, coverage and cost of the band. Build first: npx tsc -b packages/forecast
// Usage: node packages/forecast/bench/trace-calibration.mjs DIR [horizonSteps] [quantile] [name,...]
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { aggregateSteps, backtest, createForecaster } from '../dist/index.js';

const dir = process.argv[2] ?? '/work/shared/traces';
const horizonSteps = Number(process.argv[3] ?? 24);
const quantile = Number(process.argv[4] ?? 0.95);
const names = (process.argv[5] ?? 'ensemble,holt-winters,burst,reactive').split(',');
const extra = process.argv[6] ? JSON.parse(process.argv[6]) : {};

function files(d) {
  return readdirSync(d).flatMap((f) => {
    const p = join(d, f);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.csv') ? [p] : [];
  });
}

const fmt = (v, d = 3) => (Number.isFinite(v) ? v.toFixed(d) : 'NaN');
console.log(
  ['trace', 'forecaster', 'mape', 'cover', 'pkCover', 'relPinb', 'pkUp/act', 'lastMape', 'lastPkCov', 'ms'].join('\t'),
);
for (const file of files(dir)) {
  const lines = readFileSync(file, 'utf8').trim().split('\n').slice(1);
  const t = lines.map((l) => Number(l.split(',')[0]));
  const counts = lines.map((l) => Number(l.split(',')[1]));
  const binS = t[1] - t[0];
  const series = aggregateSteps(counts, binS);
  const factories = Object.fromEntries(names.map((n) => [n, (o) => createForecaster(n, { ...o, ...extra })]));
  const t0 = performance.now();
  const r = backtest(series, factories, { horizonSteps, quantile });
  const ms = performance.now() - t0;
  for (const m of [...r.forecasters, r.baseline]) {
    console.log(
      [
        file.split('/').slice(-1)[0].slice(0, 28),
        m.name,
        fmt(m.mape),
        fmt(m.coverage),
        fmt(m.peakCoverage),
        fmt(m.relativePinballLoss),
        fmt(m.peakUpperToActual),
        fmt(m.lastStep.mape),
        fmt(m.lastStep.peakCoverage),
        m === r.baseline ? '' : fmt(ms, 0),
      ].join('\t'),
    );
  }
}
