import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReasonCode, type Decision } from '@warmpool/domain';
import type { FakeKubeApiServer } from '@warmpool/testing/kubernetes';
import { EventReason, eventForDecision } from '../src/event-reason.js';
import { KubernetesApiError } from '../src/errors/kubernetes-api-error.js';
import { KubernetesEventRecorder } from '../src/kubernetes-event-recorder.js';
import { kubeConfigFor, recordingRetryEnv, startFake } from './helpers.js';

function decision(over: Partial<Decision>): Decision {
  return {
    model: 'llama',
    atS: 1000,
    action: 'scale-up',
    from: 2,
    to: 5,
    reasons: [ReasonCode.ForecastScaleAhead],
    message: 'forecast needs 5 replicas in 45 s',
    forecastP50PerS: 40,
    forecastUpperPerS: 55.5,
    observedPerS: 20,
    leadTimeS: 45,
    windowStartS: 1045,
    windowEndS: 1105,
    ...over,
  };
}

describe('eventForDecision', () => {
  it.each([
    [{ action: 'scale-up', reasons: [ReasonCode.ForecastScaleAhead] }, EventReason.ScaleAhead, 'Normal'],
    [{ action: 'scale-up', reasons: [ReasonCode.ReactivePanic] }, 'ReactivePanic', 'Warning'],
    [{ action: 'scale-up', reasons: [ReasonCode.MinWarmPool] }, EventReason.ScaleUp, 'Normal'],
    [{ action: 'scale-down', reasons: [ReasonCode.ScaleDownStable] }, EventReason.ScaleDown, 'Normal'],
    [{ action: 'hold', reasons: [ReasonCode.KeepWarmForForecast] }, EventReason.KeepWarm, 'Normal'],
    [{ action: 'hold', reasons: [ReasonCode.MissingObservation] }, 'MissingObservation', 'Warning'],
  ] as const)('%o → %s (%s)', (over, reason, type) => {
    const spec = eventForDecision(decision({ ...over, reasons: [...over.reasons] }))!;
    expect(spec.reason).toBe(reason);
    expect(spec.type).toBe(type);
  });

  it('emits nothing for a plain hold', () => {
    expect(eventForDecision(decision({ action: 'hold', reasons: [ReasonCode.Steady] }))).toBeUndefined();
  });

  it('puts from/to, reasons and the forecast in the message', () => {
    const spec = eventForDecision(decision({}))!;
    expect(spec.message).toContain('forecast needs 5 replicas in 45 s');
    expect(spec.message).toContain('2 -> 5 replicas');
    expect(spec.message).toContain('ForecastScaleAhead');
    expect(spec.message).toContain('upper 55.50/s');
  });
});

describe('KubernetesEventRecorder against the fake API server', () => {
  let fake: FakeKubeApiServer;
  let recorder: KubernetesEventRecorder;
  const subject = { namespace: 'serving', kind: 'Deployment', name: 'llama' } as const;

  beforeEach(async () => {
    fake = await startFake();
    recorder = new KubernetesEventRecorder({
      kubeConfig: kubeConfigFor(fake),
      instance: 'warmpool-0',
      nowMs: () => Date.parse('2026-03-01T12:00:00.250Z'),
      retry: { baseDelayMs: 1 },
      retryEnv: recordingRetryEnv(),
    });
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('creates a core/v1 Event on the workload with the reason constant', async () => {
    expect(await recorder.recordDecision(subject, decision({}))).toBe(true);
    const events = fake.events('serving');
    expect(events).toHaveLength(1);
    const ev = events[0]!;
    expect(ev).toMatchObject({
      reason: 'ScaleAhead',
      type: 'Normal',
      action: 'Scale',
      involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'llama', namespace: 'serving' },
      source: { component: 'warmpool' },
      reportingComponent: 'warmpool',
      reportingInstance: 'warmpool-0',
      count: 1,
      firstTimestamp: '2026-03-01T12:00:00.250Z',
    });
    expect(String((ev.metadata as { name: string }).name)).toMatch(/^llama\./);
  });

  it('folds repeats of the same decision into one Event (count, lastTimestamp, latest message)', async () => {
    let now = Date.parse('2026-03-01T12:00:00.000Z');
    const r = new KubernetesEventRecorder({
      kubeConfig: kubeConfigFor(fake),
      nowMs: () => now,
      retryEnv: recordingRetryEnv(),
    });
    const hold = decision({
      action: 'hold',
      from: 4,
      to: 4,
      reasons: [ReasonCode.KeepWarmForForecast],
      message: 'keep 4 warm',
    });
    await r.recordDecision(subject, hold);
    now += 5000;
    await r.recordDecision(subject, { ...hold, message: 'keep 4 warm, spike in 40 s' });
    now += 5000;
    await r.recordDecision(subject, hold);
    let events = fake.events('serving');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      reason: 'KeepWarm',
      count: 3,
      lastTimestamp: '2026-03-01T12:00:10.000Z',
      firstTimestamp: '2026-03-01T12:00:00.000Z',
    });
    await r.recordDecision(subject, decision({ from: 4, to: 6 }));
    expect(fake.events('serving')).toHaveLength(2);
    // The folded Event was deleted (TTL): the next repeat creates a fresh one.
    fake.store.delete(
      { group: '', version: 'v1', resource: 'events', kind: 'Event' },
      'serving',
      String((events[0]!.metadata as { name: string }).name),
    );
    now += 5000;
    await r.recordDecision(subject, hold);
    events = fake.events('serving');
    expect(events).toHaveLength(2);
    expect(events.filter((e) => e.reason === 'KeepWarm')[0]).toMatchObject({ count: 1 });
  });

  it('with aggregation off, every call creates an Event', async () => {
    const r = new KubernetesEventRecorder({
      kubeConfig: kubeConfigFor(fake),
      aggregateWindowMs: 0,
      retryEnv: recordingRetryEnv(),
    });
    await r.recordDecision(subject, decision({}));
    await r.recordDecision(subject, decision({}));
    expect(fake.events('serving')).toHaveLength(2);
  });

  it('records nothing for a plain hold', async () => {
    expect(await recorder.recordDecision(subject, decision({ action: 'hold', reasons: [ReasonCode.Steady] }))).toBe(
      false,
    );
    expect(fake.requestsTo('POST', '/events')).toHaveLength(0);
  });

  it('records a Warning event with a custom reason', async () => {
    await recorder.record(subject, {
      reason: EventReason.ScaleFailed,
      type: 'Warning',
      message: 'scale to 5 failed: HTTP 500',
    });
    expect(fake.events('serving')[0]).toMatchObject({ reason: 'ScaleFailed', type: 'Warning' });
  });

  it('retries a 500 and fails with a typed error on a 403', async () => {
    fake.faults.failNext(1, 500, { match: { method: 'POST' } });
    await recorder.recordDecision(subject, decision({}));
    expect(fake.events('serving')).toHaveLength(1);
    fake.faults.failNext(1, 403, {
      message: 'events is forbidden: User "system:serviceaccount:serving:warmpool" cannot create resource "events"',
    });
    const err = (await recorder
      .recordDecision(subject, decision({ to: 7 }))
      .catch((e: unknown) => e)) as KubernetesApiError;
    expect(err).toBeInstanceOf(KubernetesApiError);
    expect(err.code).toBe('E_K8S_FORBIDDEN');
    expect(err.message).toContain('cannot create resource "events"');
  });
});
