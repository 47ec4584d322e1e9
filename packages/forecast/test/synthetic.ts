import { SeededRandom, type StepObservation } from '@warmpool/domain';

/** Deterministic PRNG (mulberry32) so every test series is reproducible. */
export function rng(seed: number): () => number {
  return new SeededRandom(seed).fn;
}

/** Poisson sample (Knuth for small means, normal approximation above 50). */
export function poisson(mean: number, rand: () => number): number {
  if (mean <= 0) return 0;
  if (mean > 50) {
    const u1 = Math.max(rand(), 1e-12);
    const u2 = rand();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.max(0, Math.round(mean + z * Math.sqrt(mean)));
  }
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}

/** Daily seasonal rate (req/s) with a linear trend: base * (1 + amp * sin) * (1 + trend * days). */
export function seasonalRate(tS: number, base: number, amp: number, trendPerDay: number): number {
  const day = tS / 86_400;
  return base * (1 + amp * Math.sin(2 * Math.PI * day)) * (1 + trendPerDay * day);
}

/**
 * Steps of `stepS` seconds whose per-second counts are Poisson around `rate(t)`;
 * mean = requests / stepS, peak = busiest second (equal to mean when stepS >= 60, as for binned data).
 */
export function poissonSteps(n: number, stepS: number, rate: (tS: number) => number, seed: number): StepObservation[] {
  const rand = rng(seed);
  const out: StepObservation[] = [];
  for (let i = 0; i < n; i++) {
    const startS = i * stepS;
    if (stepS <= 10) {
      let sum = 0;
      let peak = 0;
      for (let s = 0; s < stepS; s++) {
        const c = poisson(rate(startS + s), rand);
        sum += c;
        if (c > peak) peak = c;
      }
      out.push({ startS, meanPerS: sum / stepS, peakPerS: peak });
    } else {
      const c = poisson(rate(startS + stepS / 2) * stepS, rand) / stepS;
      out.push({ startS, meanPerS: c, peakPerS: c });
    }
  }
  return out;
}
