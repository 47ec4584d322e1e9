import type { StepObservation } from '@warmpool/domain';

/** Synthetic per-second request counts: a slow wave, a daily-like ramp and sharp spikes, all integers >= 0. */
export function syntheticCounts(seconds: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < seconds; k++) {
    const wave = 6 + 5 * Math.sin((2 * Math.PI * k) / 600);
    const ramp = Math.floor(k / 900);
    const spike = (k * 7919) % 97 === 0 ? 25 : 0;
    const idle = k % 1200 >= 1080 && k % 1200 < 1140 ? 0 : 1; // a minute of silence every 20 min
    out.push(idle * Math.max(0, Math.round(wave + ramp + spike + ((k * 31) % 5) - 2)));
  }
  return out;
}

/** What any source must return for `counts` (second k at `startS + k`) read over [fromS, toS) at stepS. */
export function expectedSteps(
  counts: readonly number[],
  startS: number,
  fromS: number,
  toS: number,
  stepS: number,
): StepObservation[] {
  const out: StepObservation[] = [];
  for (let s = fromS; s < toS; s += stepS) {
    let sum = 0;
    let peak = -Infinity;
    let n = 0;
    for (let t = s; t < s + stepS; t++) {
      const c = counts[t - startS];
      if (c === undefined) continue;
      sum += c;
      peak = Math.max(peak, c);
      n++;
    }
    out.push(
      n === 0 ? { startS: s, meanPerS: NaN, peakPerS: NaN } : { startS: s, meanPerS: sum / stepS, peakPerS: peak },
    );
  }
  return out;
}

/** OpenMetrics text: gauge `warmpool_demand_last_second{model}` = requests in [T-1, T), sampled at T. */
export function openMetricsOf(series: Readonly<Record<string, { startS: number; counts: readonly number[] }>>): string {
  const lines = [
    '# HELP warmpool_demand_last_second Requests that arrived in the second before the sample.',
    '# TYPE warmpool_demand_last_second gauge',
  ];
  for (const [model, { startS, counts }] of Object.entries(series)) {
    for (const [k, c] of counts.entries())
      lines.push(`warmpool_demand_last_second{model="${model}"} ${c} ${startS + k + 1}`);
  }
  lines.push('# EOF', '');
  return lines.join('\n');
}

/** CSV in the trace format: `t,count`, t = 0, 1, 2, ... */
export function csvOf(counts: readonly number[], binS = 1): string {
  return ['t,count', ...counts.map((c, k) => `${k * binS},${c}`)].join('\n') + '\n';
}

/** Compares observations: same starts, same gaps, values equal to 1e-9. */
export function sameSteps(actual: readonly StepObservation[], expected: readonly StepObservation[]): string[] {
  const problems: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length} != ${expected.length}`];
  const close = (a: number, b: number): boolean =>
    Number.isNaN(a) ? Number.isNaN(b) : Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
  actual.forEach((a, i) => {
    const e = expected[i]!;
    if (a.startS !== e.startS || !close(a.meanPerS, e.meanPerS) || !close(a.peakPerS, e.peakPerS)) {
      problems.push(
        `step ${i}: got ${JSON.stringify([a.startS, a.meanPerS, a.peakPerS])}, expected ${JSON.stringify([e.startS, e.meanPerS, e.peakPerS])}`,
      );
    }
  });
  return problems;
}
