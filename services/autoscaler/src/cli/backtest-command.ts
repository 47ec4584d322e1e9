import { basename } from 'node:path';
import { aggregateSteps, backtest, createForecaster, type BacktestMetrics } from '@warmpool/forecast';
import { formatTable } from './format-table.js';
import type { CommandSpec } from '@warmpool/telemetry';
import { numberFlag, parseFlags, requiredString } from './parse-flags.js';
import { readTraceFile } from './read-trace-file.js';

export const BACKTEST_COMMAND: CommandSpec = {
  name: 'warmpool backtest',
  summary:
    'forecast accuracy per forecaster on a trace against a seasonal-naive forecast (MAPE, pinball loss, coverage)',
  options: {
    trace: {
      type: 'string',
      value: 'FILE',
      required: true,
      help: 'trace CSV (time,count or a per-second count column)',
    },
    'horizon-steps': { type: 'string', value: 'N', default: 'ceil(50 s / step)', help: 'steps ahead forecast, 1-1000' },
    quantile: { type: 'string', value: 'Q', default: 0.95, help: 'upper quantile, 0.51-0.999' },
    json: { type: 'boolean', help: 'JSON instead of the table' },
  },
};

const MEMBERS = ['ensemble', 'holt-winters', 'burst', 'reactive'] as const;

/**
 * Forecast accuracy per forecaster on a trace, against a seasonal-naive forecast: MAPE, pinball loss at the upper
 * quantile (and relative to seasonal-naive), under-forecast rate and band coverage. The trace is forecast at its own
 * bin width (1-s traces in 5-s steps, with the busiest second as the step's peak).
 */
export function backtestCommand(argv: readonly string[], out: (s: string) => void): number {
  const v = parseFlags(BACKTEST_COMMAND, argv);
  const file = requiredString(v, 'trace');
  const quantile = numberFlag(v, 'quantile', 0.95, { min: 0.51, max: 0.999 });
  const trace = readTraceFile(file);
  const series = aggregateSteps(trace.counts, trace.binS);
  const stepS = series.length > 1 ? series[1]!.startS - series[0]!.startS : trace.binS;
  const defaultHorizon = Math.max(1, Math.ceil(50 / stepS));
  const horizonSteps = numberFlag(v, 'horizon-steps', defaultHorizon, { min: 1, max: 1000, integer: true });
  const factories = Object.fromEntries(
    MEMBERS.map((n) => [n, (o: { quantile?: number }) => createForecaster(n, { ...o, stepS })]),
  );
  const result = backtest(series, factories, { horizonSteps, quantile });
  const all: BacktestMetrics[] = [...result.forecasters, result.baseline];
  if (v.json === true) {
    const withRatio = all.map((m) => ({
      ...m,
      pinballVsSeasonalNaive: result.baseline.pinballLoss > 0 ? m.pinballLoss / result.baseline.pinballLoss : null,
    }));
    out(
      JSON.stringify(
        { trace: basename(file), stepS, horizonSteps, quantile, steps: result.steps, forecasters: withRatio },
        null,
        2,
      ),
    );
    return 0;
  }
  const head = [
    'forecaster',
    'MAPE %',
    `pinball@${quantile}`,
    'pinball / seasonal-naive',
    'under-forecast %',
    'coverage %',
    'peak coverage %',
  ];
  const rows = all.map((m) => [
    m.baseline ? `${m.name} (baseline)` : m.name,
    m.mape * 100,
    m.pinballLoss,
    result.baseline.pinballLoss > 0 ? m.pinballLoss / result.baseline.pinballLoss : Number.NaN,
    m.underForecastRate * 100,
    m.coverage * 100,
    m.peakCoverage * 100,
  ]);
  out(
    `${basename(file)}: ${result.steps} steps of ${stepS} s, forecasting ${horizonSteps} step(s) ahead, upper quantile ${quantile}\n` +
      formatTable([head, ...rows]),
  );
  return 0;
}
