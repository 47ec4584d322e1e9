import { ReasonCode, ValidationError, WarmpoolError, type Decision } from '@warmpool/domain';
import { describe, expect, it } from 'vitest';
import type { DashboardEvent } from '../src/feed/dashboard-state.js';
import { InMemoryDashboardFeed } from '../src/feed/in-memory-dashboard-feed.js';

const SLA = { latencyTargetP95Ms: 250, capacityPerReplicaPerS: 40, minWarmReplicas: 2, maxReplicas: 12 };

const tick = (atS: number, observedPerS: number | null = 50) => ({
  atS,
  observedPerS,
  forecastP50PerS: 60,
  forecastUpperPerS: 75,
  windowStartS: atS + 45,
  windowEndS: atS + 50,
  readyReplicas: 2,
  warmingReplicas: 1,
});

const decision: Decision = {
  model: 'resnet50',
  atS: 100,
  action: 'scale-up',
  from: 2,
  to: 3,
  reasons: [ReasonCode.ForecastScaleAhead],
  message: 'forecast upper 75 req/s in [145, 150] s needs 3 replicas',
  forecastP50PerS: 60,
  forecastUpperPerS: 75,
  observedPerS: 50,
  leadTimeS: 45,
  windowStartS: 145,
  windowEndS: 150,
};

describe('InMemoryDashboardFeed', () => {
  it('snapshots an empty state with its bounds', () => {
    const feed = new InMemoryDashboardFeed({ maxPoints: 10, maxDecisions: 4 });
    expect(feed.snapshot()).toEqual({ models: [], maxPoints: 10, maxDecisions: 4 });
  });

  it('keeps SLA, ticks and decisions per model in first-seen order', () => {
    const feed = new InMemoryDashboardFeed();
    feed.recordTick('resnet50', tick(95));
    feed.setSla('resnet50', { ...SLA, name: 'extra fields of a ModelSpec are ignored' } as typeof SLA);
    feed.recordDecision('resnet50', decision);
    feed.recordTick('bert', tick(96));
    const state = feed.snapshot();
    expect(state.models.map((m) => m.model)).toEqual(['resnet50', 'bert']);
    const [resnet, bert] = state.models;
    expect(resnet.sla).toEqual(SLA);
    expect(resnet.points).toEqual([tick(95)]);
    expect(resnet.decisions).toEqual([
      { atS: 100, action: 'scale-up', from: 2, to: 3, reasons: ['ForecastScaleAhead'], message: decision.message },
    ]);
    expect(bert.sla).toBeNull();
    expect(bert.decisions).toEqual([]);
  });

  it('bounds points and decisions per model (ring buffers)', () => {
    const feed = new InMemoryDashboardFeed({ maxPoints: 3, maxDecisions: 2 });
    for (let i = 0; i < 10; i += 1) {
      feed.recordTick('m', tick(i));
      feed.recordDecision('m', { ...decision, atS: i });
    }
    const [m] = feed.snapshot().models;
    expect(m.points.map((p) => p.atS)).toEqual([7, 8, 9]);
    expect(m.decisions.map((d) => d.atS)).toEqual([8, 9]);
  });

  it('turns missing and non-finite rates into null (JSON has no NaN)', () => {
    const feed = new InMemoryDashboardFeed();
    feed.recordTick('m', {
      atS: 1,
      observedPerS: Number.NaN,
      forecastUpperPerS: Number.POSITIVE_INFINITY,
      readyReplicas: 1,
      warmingReplicas: 0,
    });
    const [point] = feed.snapshot().models[0].points;
    expect(point).toEqual({
      atS: 1,
      observedPerS: null,
      forecastP50PerS: null,
      forecastUpperPerS: null,
      windowStartS: null,
      windowEndS: null,
      readyReplicas: 1,
      warmingReplicas: 0,
    });
    expect(JSON.parse(JSON.stringify(feed.snapshot()))).toEqual(feed.snapshot());
  });

  it('snapshots are copies: later ticks and caller mutations do not change them', () => {
    const feed = new InMemoryDashboardFeed();
    const reasons: ReasonCode[] = [ReasonCode.Steady];
    feed.recordDecision('m', { ...decision, reasons });
    const before = feed.snapshot();
    reasons.push(ReasonCode.ReactivePanic);
    feed.recordTick('m', tick(5));
    expect(before.models[0].points).toEqual([]);
    expect(feed.snapshot().models[0].decisions[0].reasons).toEqual(['Steady']);
  });

  it('notifies subscribers in order with the stored values, and stops after unsubscribe', () => {
    const feed = new InMemoryDashboardFeed();
    const seen: DashboardEvent[] = [];
    const unsubscribe = feed.subscribe((e) => seen.push(e));
    feed.setSla('m', SLA);
    feed.recordTick('m', tick(1));
    feed.recordDecision('m', decision);
    expect(seen.map((e) => e.type)).toEqual(['sla', 'tick', 'decision']);
    expect(seen[1]).toEqual({ type: 'tick', model: 'm', point: tick(1) });
    expect(feed.listenerCount).toBe(1);
    unsubscribe();
    unsubscribe();
    expect(feed.listenerCount).toBe(0);
    feed.recordTick('m', tick(2));
    expect(seen).toHaveLength(3);
  });

  it('a throwing listener is reported and does not stop the others or the caller', () => {
    const errors: unknown[] = [];
    const feed = new InMemoryDashboardFeed({ onListenerError: (e) => errors.push(e) });
    const seen: string[] = [];
    feed.subscribe(() => {
      throw new Error('boom');
    });
    feed.subscribe((e) => seen.push(e.type));
    feed.recordTick('m', tick(1));
    expect(seen).toEqual(['tick']);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toBe('boom');
  });

  it('rejects bad input with a ValidationError naming the call, model and field', () => {
    const feed = new InMemoryDashboardFeed();
    const err = (fn: () => void): ValidationError => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return e as ValidationError;
      }
      throw new Error('expected a ValidationError');
    };
    const e1 = err(() => feed.recordTick('m', { ...tick(1), atS: Number.NaN, readyReplicas: -1 }));
    expect(e1.issues.map((i) => i.path)).toEqual(['recordTick("m").atS', 'recordTick("m").readyReplicas']);
    expect(e1.code).toBe('E_VALIDATION');
    const e2 = err(() => feed.recordDecision('m', { ...decision, action: 'explode' as Decision['action'] }));
    expect(e2.message).toContain('recordDecision("m").action: got "explode", allowed: scale-up | scale-down | hold');
    const e3 = err(() => feed.setSla('m', { ...SLA, capacityPerReplicaPerS: 0 }));
    expect(e3.issues[0].path).toBe('setSla("m").capacityPerReplicaPerS');
    const e4 = err(() => feed.recordTick('', tick(1)));
    expect(e4.issues[0].path).toBe('recordTick("").model');
    expect(feed.snapshot().models).toEqual([]);
    expect(() => new InMemoryDashboardFeed({ maxPoints: 0 })).toThrow(/maxPoints: got 0/);
  });

  it('refuses models past maxModels with a typed error, keeping the existing ones', () => {
    const feed = new InMemoryDashboardFeed({ maxModels: 2 });
    feed.recordTick('a', tick(1));
    feed.recordTick('b', tick(1));
    let caught: unknown;
    try {
      feed.recordTick('c', tick(1));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(WarmpoolError);
    expect((caught as WarmpoolError).code).toBe('E_DASHBOARD_MODEL_LIMIT');
    feed.recordTick('a', tick(2));
    expect(feed.snapshot().models.map((m) => m.points.length)).toEqual([2, 1]);
  });
});

describe('request latency per second (issue 19: plotted against the SLA line)', () => {
  it('keeps a bounded series per model, emits each point, refuses bad values', () => {
    const feed = new InMemoryDashboardFeed({ maxPoints: 3 });
    const events: DashboardEvent[] = [];
    feed.subscribe((e) => events.push(e));
    for (let s = 0; s < 5; s++) feed.recordLatency('a', { atS: 100 + s, p95Ms: 10 * s, requests: 4 });
    expect(feed.snapshot().models[0]!.latency).toEqual([
      { atS: 102, p95Ms: 20, requests: 4 },
      { atS: 103, p95Ms: 30, requests: 4 },
      { atS: 104, p95Ms: 40, requests: 4 },
    ]);
    expect(events.filter((e) => e.type === 'latency')).toHaveLength(5);
    expect(() => feed.recordLatency('a', { atS: 1, p95Ms: Number.NaN, requests: 1 })).toThrow(ValidationError);
    expect(() => feed.recordLatency('a', { atS: 1, p95Ms: 5, requests: -1 })).toThrow(/requests/);
  });
});
