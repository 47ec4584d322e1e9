/**
 * Requests left unserved in a second are floating-point noise, not lost requests, when they are at most this
 * fraction of the second's demand (at least of 1 request): capacity is normalized as peak / (replicas x util),
 * so "exactly enough" replicas can fall short by an ulp.
 */
export const UNSERVED_TOLERANCE = 1e-9;

/** Requests of `arriving` that `capacity` cannot serve (0 within {@link UNSERVED_TOLERANCE}). */
export function unservedRequests(arriving: number, capacity: number): number {
  const short = arriving - capacity;
  return short > UNSERVED_TOLERANCE * Math.max(1, arriving) ? short : 0;
}

/** Smallest replica count that serves `demand` requests in a second with no unserved request. */
export function replicasFor(demand: number, capacityPerS: number): number {
  if (!(demand > 0)) return 0;
  let n = Math.ceil(demand / capacityPerS);
  while (n > 0 && unservedRequests(demand, (n - 1) * capacityPerS) === 0) n--;
  while (unservedRequests(demand, n * capacityPerS) > 0) n++;
  return n;
}
