/**
 * For a world that runs `k` times faster than a cluster (the end-to-end benchmark, whose replicas start in seconds
 * where a cluster's take tens of seconds): a period or window of `v` seconds becomes v / k, in whole seconds (the
 * baselines tick once a second), at least 1.
 * @throws RangeError unless k is a finite number >= 1.
 */
export function timeScaler(k: number): (v: number) => number {
  if (!(k >= 1) || !Number.isFinite(k)) throw new RangeError(`time scale must be a finite number >= 1, got ${k}`);
  return (v) => Math.max(1, Math.round(v / k));
}
