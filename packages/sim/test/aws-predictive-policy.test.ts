import { describe, expect, it } from 'vitest';
import { runSimulation } from '../src/engine/run-simulation.js';
import { AwsHourlyForecast } from '../src/policies/aws-hourly-forecast.js';
import { awsPredictivePolicy } from '../src/policies/aws-predictive-policy.js';
import { AwsTargetTracking } from '../src/policies/aws-target-tracking.js';
import { fixedConfig } from './scripted-policy.js';

const HOUR = 3600;
const DAY = 86_400;

function feed(forecast: AwsHourlyForecast, hours: number, perS: (hour: number) => number): void {
  for (let s = 0; s < hours * HOUR; s++) forecast.addSecond(perS(Math.floor(s / HOUR)), s + 1);
}

describe('AwsHourlyForecast', () => {
  it('has no forecast with less than 24 h of history', () => {
    const f = new AwsHourlyForecast();
    feed(f, 23, () => 1);
    expect(f.forecastPerS(24)).toBeNull();
    f.addSecond(1, 23 * HOUR + 1);
    expect(f.forecastPerS(30)).toBeNull();
  });

  it('forecasts an hour from the same hour of previous days (mean over up to 14 days)', () => {
    const f = new AwsHourlyForecast();
    // day d, hour h: (h + 1) x (d + 1) req/s, for two days
    feed(f, 48, (hour) => ((hour % 24) + 1) * (Math.floor(hour / 24) + 1));
    // hour 48 + 5: days 0 and 1 at hour 5: 6 and 12 req/s -> 9
    expect(f.forecastPerS(53)).toBeCloseTo(9, 12);
    // hour 24 + 5 (already past, but the rule is the same): only day 0 -> 6
    expect(f.forecastPerS(29)).toBeCloseTo(6, 12);
  });

  it('blends in the same hour of previous weeks once a week is known', () => {
    const f = new AwsHourlyForecast();
    // 7 days: day 0 is special (10 req/s), other days 1 req/s.
    feed(f, 7 * 24, (hour) => (hour < 24 ? 10 : 1));
    // hour 168 + 3: daily mean over 7 days = (10 + 6 x 1) / 7 = 16/7; weekly (day 0) = 10; blend = (16/7 + 10) / 2
    expect(f.forecastPerS(171)).toBeCloseTo((16 / 7 + 10) / 2, 12);
  });
});

describe('AwsTargetTracking', () => {
  it('scales out proportionally after 3 datapoints over the target, counting warming capacity', () => {
    const tt = new AwsTargetTracking(10, 0.5);
    // 2 replicas in service at 20 req/s: 100 % utilization, target 50 % -> needs ceil(20 / 5) = 4
    for (let s = 1; s <= 120; s++) tt.addSecond(20, 2, s);
    expect(tt.evaluate(120, 2, 0)).toBe(2); // 2 datapoints only
    for (let s = 121; s <= 180; s++) tt.addSecond(20, 2, s);
    expect(tt.evaluate(180, 2, 0)).toBe(4);
    expect(tt.evaluate(180, 4, 0)).toBe(4); // the warming 2 already count: nothing added twice
  });

  it('scales in by a small step after 15 datapoints under 90 % of the target, with a cooldown', () => {
    const tt = new AwsTargetTracking(10, 0.5);
    // 20 replicas in service at 10 req/s: 5 % utilization
    for (let s = 1; s <= 14 * 60; s++) tt.addSecond(10, 20, s);
    expect(tt.evaluate(14 * 60, 20, 0)).toBe(20); // 14 datapoints
    for (let s = 14 * 60 + 1; s <= 15 * 60; s++) tt.addSecond(10, 20, s);
    expect(tt.evaluate(15 * 60, 20, 0)).toBe(18); // 10 % of 20
    expect(tt.evaluate(16 * 60, 18, 0)).toBe(18); // cooldown 300 s
    expect(tt.evaluate(20 * 60, 18, 17)).toBe(17); // 18 - 1 but not under the scheduled floor 17
  });
});

describe('aws-predictive policy', () => {
  // capacity 10 req/s, targetUtil 0.5 -> 5 req/s per replica; lead 45 s -> scheduling buffer 300 s.
  // 3 days at 1 req/s, except hour 10 of every day at 50 req/s.
  const demand = new Float64Array(3 * DAY);
  for (let t = 0; t < demand.length; t++) demand[t] = Math.floor(t / HOUR) % 24 === 10 ? 50 : 1;
  const config = fixedConfig({ leadS: 45, capacityPerS: 10, targetUtil: 0.5, minReplicas: 1, maxReplicas: 100 });
  const alive = new Int32Array(demand.length);
  const violating = new Float64Array(demand.length);
  runSimulation(demand, config, awsPredictivePolicy, {
    traceName: 'aws',
    nowMs: () => 0,
    onSecond: (t, a, _r, v) => {
      alive[t] = a;
      violating[t] = v;
    },
  });
  const sum = (a: Float64Array, from: number, to: number) => a.slice(from, to).reduce((x, y) => x + y, 0);

  it('is reactive only on the first day (no forecast before 24 h of history)', () => {
    const h10 = 10 * HOUR;
    expect(alive[h10 - 300]).toBe(1);
    expect(sum(violating, h10, h10 + HOUR)).toBeGreaterThan(0);
  });

  it('schedules the forecast capacity at hour start - 300 s from day 2 on, so the peak hour starts served', () => {
    const h10 = DAY + 10 * HOUR;
    // forecast for hour 34 = hour 10 of day 1 = 50 req/s -> 50 / 5 = 10 replicas, requested at 10:00 - 300 s
    expect(alive[h10 - 301]).toBeLessThan(10);
    expect(alive[h10 - 300]).toBeGreaterThanOrEqual(10);
    expect(sum(violating, h10, h10 + HOUR)).toBe(0);
    // on day 3 the forecast is the mean of days 1 and 2: the same 10
    expect(alive[2 * DAY + 10 * HOUR - 300]).toBeGreaterThanOrEqual(10);
    expect(sum(violating, 2 * DAY + 10 * HOUR, 2 * DAY + 11 * HOUR)).toBe(0);
  });

  it('scales back in gradually after the hour through target tracking', () => {
    const after = DAY + 11 * HOUR;
    expect(alive[after + 60]).toBeGreaterThan(1); // predictive scaling itself never scales in
    expect(alive[after + 3 * HOUR]).toBe(1);
  });
});
