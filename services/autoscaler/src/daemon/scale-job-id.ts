/**
 * The idempotent id of a scale job (also the provider's idempotency key): model, the size asked for before, the
 * target, and the decision's time bucket. A restarted or second daemon deciding the same change within the same
 * bucket makes the same id, so the queue runs it once and the provider applies it once.
 */
export function scaleJobId(model: string, desired: number, to: number, nowMs: number, bucketS: number): string {
  const bucket = Math.floor(nowMs / (bucketS * 1000));
  return `scale:${model}:${desired}-${to}:${bucket}`;
}
