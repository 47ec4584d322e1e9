import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { backtest } from '../src/backtest.js';
import type { ForecasterOptions } from '../src/forecaster-options.js';
import { FORECASTER_NAMES, createForecaster } from '../src/forecaster-registry.js';
import { aggregateSteps } from '../src/step-aggregator.js';

/** 10 minutes of the Azure LLM conversation trace, 1-s bins (see fixtures/README.md). */
function loadFixture(): { startS: number; counts: number[] } {
  const text = readFileSync(fileURLToPath(new URL('./fixtures/azure_conv_1s_slice.csv', import.meta.url)), 'utf8');
  const rows = text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
  return { startS: rows[0]![0]!, counts: rows.map((r) => r[1]!) };
}

const round = (v: number, d = 4): number => Math.round(v * 10 ** d) / 10 ** d;

describe('golden: Azure LLM conversation trace slice, 1-s bins fed as 5-s steps', () => {
  const { startS, counts } = loadFixture();
  const steps = aggregateSteps(counts, 1, { startS });

  it('aggregates 600 seconds into 120 five-second steps with the busiest second as peak', () => {
    expect(steps).toHaveLength(120);
    expect(steps[0]).toEqual({
      startS: 2100,
      meanPerS: counts.slice(0, 5).reduce((a, v) => a + v, 0) / 5,
      peakPerS: Math.max(...counts.slice(0, 5)),
    });
  });

  it('backtest metrics per forecaster are stable (golden) and sane', () => {
    const factories = Object.fromEntries(
      FORECASTER_NAMES.map((n) => [n, (o: ForecasterOptions) => createForecaster(n, o)]),
    );
    const r = backtest(steps, factories, { horizonSteps: 12, warmupSteps: 36 });
    const table = r.forecasters.map((m) => ({
      name: m.name,
      points: m.points,
      mape: round(m.mape),
      coverage: round(m.coverage),
      peakCoverage: round(m.peakCoverage),
      relativePinballLoss: round(m.relativePinballLoss),
      peakUpperToActual: round(m.peakUpperToActual),
    }));
    expect(table).toMatchSnapshot();
    const ens = r.forecasters[0]!;
    expect(ens.mape).toBeLessThan(0.35);
    expect(ens.peakCoverage).toBeGreaterThan(0.85);
    expect(ens.peakUpperToActual).toBeLessThan(2);
    expect(ens.relativePinballLoss).toBeLessThanOrEqual(r.baseline.relativePinballLoss);
  });

  it('final ensemble forecast is stable (golden)', () => {
    const f = createForecaster('ensemble');
    for (const s of steps) f.observe(s);
    const b = f.forecast(6);
    expect(b.startS).toBe(2700);
    expect(b.stepS).toBe(5);
    expect({
      method: b.method,
      historySteps: b.historySteps,
      p50PerS: b.p50PerS.map((v) => round(v)),
      upperPerS: b.upperPerS.map((v) => round(v)),
      peakUpperPerS: b.peakUpperPerS.map((v) => round(v)),
    }).toMatchSnapshot();
  });
});
