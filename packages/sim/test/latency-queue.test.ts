import { describe, expect, it } from 'vitest';
import { LatencyQueue } from '../src/engine/latency-queue.js';
import { runSimulation } from '../src/engine/run-simulation.js';
import { fixedConfig, scriptedPolicy } from './scripted-policy.js';

describe('LatencyQueue (latency-SLO queueing model)', () => {
  it('a burst the replicas drain within the target is not a miss', () => {
    // capacity 10/s, wait allowance 0.25 s = 2.5 requests of queue; 12 arriving over the second: queue grows at 2/s,
    // reaches 2 at the end of the second, never past 2.5: nobody waits too long.
    const q = new LatencyQueue(0.25);
    expect(q.second(12, 10)).toBe(0);
    expect(q.backlog).toBeCloseTo(2, 12);
    expect(q.second(0, 10)).toBe(0);
    expect(q.backlog).toBe(0);
    expect(q.finish()).toBe(0);
  });

  it('late from the moment the queue passes the allowance, and while a backlog above it drains', () => {
    const q = new LatencyQueue(0.25); // allowance 2.5 requests at capacity 10/s
    // 20 arriving, capacity 10: queue grows 10/s from 0, passes 2.5 at x = 0.25: the last 75 % are late.
    expect(q.second(20, 10)).toBeCloseTo(15, 9);
    expect(q.backlog).toBeCloseTo(10, 9);
    // 5 arriving, capacity 10: queue shrinks 5/s from 10, reaches 2.5 only after the second: all 5 late.
    expect(q.second(5, 10)).toBeCloseTo(5, 9);
    expect(q.backlog).toBeCloseTo(5, 9);
    // queue 5 shrinks 10/s with nothing arriving... then 4 arrive: shrinks 6/s, passes 2.5 at x = 2.5/6: 4 x 0.4167 late.
    expect(q.second(4, 10)).toBeCloseTo(4 * (2.5 / 6), 9);
    expect(q.backlog).toBe(0);
    expect(q.violating).toBeCloseTo(15 + 5 + 4 * (2.5 / 6), 9);
  });

  it('no ready capacity: every arrival is late and waits; what is still queued at the end counts', () => {
    const q = new LatencyQueue(0.25);
    expect(q.second(3, 0)).toBe(3);
    expect(q.backlog).toBe(3);
    expect(q.finish()).toBe(3 + 3);
  });

  it('runSimulation reports both counts: the fluid one overstates a one-second burst', () => {
    // capacity 1/s per replica, 4 replicas all along: a 5-request second is 1 fluid violation but drains within
    // 0.5 s of wait (allowance 0.25 s x 4/s = 1 request): 5 over the second grow the queue at 1/s to 1: no miss.
    const r = runSimulation(
      Float64Array.from([0, 5, 0, 0]),
      fixedConfig({ capacityPerS: 1, maxReplicas: 4, latencyTargetS: 0.5, serviceS: 0.25 }),
      scriptedPolicy([4], { initial: 4 }),
      { traceName: 'burst', nowMs: () => 0 },
    );
    expect(r.violatingRequests).toBeCloseTo(1, 9);
    expect(r.sloViolatingRequests).toBe(0);
    expect(r.sloViolatingFraction).toBe(0);
  });
});
