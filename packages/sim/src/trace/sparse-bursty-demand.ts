import { SeededRandom } from '@warmpool/domain';

/**
 * Synthetic sparse bursty 1-s traffic (issue 18's unseen kind: most seconds idle, bursts of tens of requests every few
 * minutes): 0.3/s background, bursts of 15-45/s for 3-15 s every 2-7 min. Requests per second; deterministic per seed.
 */
export function sparseBurstyDemand(seconds: number, seed: number): Float64Array {
  const rng = new SeededRandom(seed);
  const d = new Float64Array(seconds);
  for (let t = 0; t < seconds; t++) d[t] = rng.next() < 0.3 ? 1 : 0;
  for (let t = 60; t < seconds; ) {
    const len = 3 + Math.floor(rng.next() * 13);
    const peak = 15 + Math.floor(rng.next() * 31);
    for (let j = 0; j < len && t + j < seconds; j++) d[t + j] += Math.round(peak * (0.6 + 0.4 * rng.next()));
    t += len + 120 + Math.floor(rng.next() * 300);
  }
  return d;
}
