import { describe, expect, it } from 'vitest';
import { createLogger } from '@warmpool/telemetry';
import type { DaemonDecisionRecord, DaemonLogRecord } from '../src/daemon/daemon-record.js';
import { formatRecordLine } from '../src/daemon/decision-log.js';
import { describeReplicaEvent } from '../src/daemon/replica-event-text.js';
import { RepeatedDecisionFilter } from '../src/daemon/repeated-decision-filter.js';
import { StdoutRecordSink } from '../src/daemon/stdout-record-sink.js';
import { main } from '../src/main.js';
import { MemorySink } from './support/daemon-harness.js';

function decision(over: Partial<DaemonDecisionRecord>): DaemonDecisionRecord {
  return {
    kind: 'decision',
    id: 'a@1',
    time: '2026-01-01T00:00:00.000Z',
    model: 'a',
    action: 'hold',
    from: 2,
    to: 2,
    reasons: ['Steady'],
    message: 'hold',
    acted: 'none',
    desired: 2,
    ready: 2,
    warming: 0,
    measuredLeadTimeS: null,
    leader: true,
    dryRun: false,
    ...over,
  } as DaemonDecisionRecord;
}

function capture(isTTY = false): { lines: string[]; isTTY: boolean; write(s: string): boolean } {
  const lines: string[] = [];
  return {
    lines,
    isTTY,
    write: (s: string) => {
      lines.push(...s.split('\n').filter(Boolean));
      return true;
    },
  };
}

describe("the daemon's stdout", () => {
  it('decisions and outcomes go to the decision stream; every other record is a logger line with a level', () => {
    const decisions = new MemorySink();
    const out = capture();
    const sink = new StdoutRecordSink(
      decisions,
      createLogger({ component: 'daemon', destination: out, level: 'debug' }),
    );
    const records: DaemonLogRecord[] = [
      decision({}),
      {
        kind: 'outcome',
        time: '2026-01-01T00:00:05.000Z',
        model: 'a',
        ref: 'a@1767225600000',
        outcome: 'needed',
        from: 1,
        to: 2,
        capacityBeforePerS: 10,
        observedPeakPerS: 12,
        readyAfterS: 5,
        message: 'ready',
      },
      { kind: 'daemon', time: '2026-01-01T00:00:00.000Z', event: 'started', message: '1 model(s)' },
      {
        kind: 'config',
        time: '2026-01-01T00:00:00.000Z',
        event: 'rejected',
        message: 'bad config',
        issues: ['tickS: got -1'],
      },
      {
        kind: 'error',
        time: '2026-01-01T00:00:00.000Z',
        event: 'leader-error',
        message: 'leader election step failed',
        error: { stage: 'leader', code: 'E_X', message: 'x' },
      },
      {
        kind: 'job',
        time: '2026-01-01T00:00:00.000Z',
        model: 'a',
        jobId: 'j',
        event: 'retrying',
        replicas: 2,
        attempt: 1,
        message: 'retrying',
      },
      {
        kind: 'daemon',
        time: '2026-01-01T00:00:00.000Z',
        model: 'a',
        ...describeReplicaEvent({ event: 'replica-spawned', replicaId: 'a-1', pid: 7, port: 9000, atMs: 1 }),
      },
    ];
    for (const r of records) void sink.write(r);
    expect(decisions.records.map((r) => r.kind)).toEqual(['decision', 'outcome']);
    const lines = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => [l['level'], l['event']])).toEqual([
      ['info', 'started'],
      ['warn', 'rejected'],
      ['error', 'leader-error'],
      ['warn', 'retrying'],
      ['debug', 'replica-spawned'],
    ]);
    for (const l of lines)
      expect(l).toMatchObject({ component: 'daemon', msg: expect.any(String), time: expect.any(String) });
    expect(lines[1]).toMatchObject({ kind: 'config', issues: ['tickS: got -1'], msg: 'bad config' });
    expect(lines[4]).toMatchObject({
      model: 'a',
      msg: 'a-1 agent started (pid 7, port 9000)',
      detail: { replicaId: 'a-1', pid: 7, port: 9000 },
    });
  });

  it('a local replica event reads as a sentence, not embedded JSON, under its own name', () => {
    const e = describeReplicaEvent({
      event: 'replica-phase',
      replicaId: 'tiny-1',
      model: 'tiny',
      phase: 'failed',
      reason: 'exit 1',
      atMs: 5,
    });
    expect(e).toEqual({
      model: 'tiny',
      event: 'replica-phase',
      message: 'tiny-1 failed: exit 1',
      detail: { replicaId: 'tiny-1', phase: 'failed', reason: 'exit 1' },
    });
    expect(
      describeReplicaEvent({
        event: 'replica-ended',
        replicaId: 'r',
        phase: 'ready',
        exitCode: null,
        signal: 'SIGTERM',
      }).message,
    ).toBe('r ended in ready (signal SIGTERM)');
    const line = formatRecordLine({
      kind: 'daemon',
      time: '2026-01-01T00:00:00.000Z',
      ...describeReplicaEvent({ event: 'replica-requested', replicaId: 'r', model: 'm', provisionDelayMs: 2000 }),
    });
    expect(line).toContain('replica-requested: r requested (provisioning 2000 ms)');
    expect(line).not.toContain('{');
    expect(line).not.toContain('replica-replica');
  });

  it('an outcome line names the scale-up by its numbers and time, not its internal id', () => {
    const line = formatRecordLine({
      kind: 'outcome',
      time: '2026-01-01T00:00:05.000Z',
      model: 'a',
      ref: 'a@1767225600000',
      outcome: 'needed',
      from: 1,
      to: 2,
      capacityBeforePerS: 10,
      observedPeakPerS: 12,
      readyAfterS: 5,
      message: 'ready',
    });
    expect(line).toContain('✓ scale-up 1 -> 2 at 00:00:00Z: needed — ready');
    expect(line).not.toContain('a@1767225600000');
  });

  it('RepeatedDecisionFilter leaves out a decision that acted on nothing and repeats the last one, and passes anything else', () => {
    const inner = new MemorySink();
    const f = new RepeatedDecisionFilter(inner);
    const dry = decision({
      action: 'scale-up',
      to: 3,
      acted: 'dry-run',
      dryRun: true,
      reasons: ['ForecastScaleAhead'],
    });
    void f.write(decision({}));
    void f.write(decision({ time: '2026-01-01T00:00:01.000Z' })); // repeated hold: out
    void f.write(decision({ ready: 1 })); // changed: in
    void f.write(dry);
    void f.write({ ...dry, time: '2026-01-01T00:00:02.000Z' }); // repeated dry-run scale-up: out
    void f.write({ ...dry, notes: ['HistoryGaps: 1 of 300'] }); // noted: in
    void f.write(decision({ model: 'b' })); // another model's first: in
    void f.write(decision({ action: 'scale-up', to: 3, acted: 'enqueued' }));
    void f.write(decision({ action: 'scale-up', to: 3, acted: 'enqueued' })); // acted: in
    void f.write({ kind: 'daemon', time: '2026-01-01T00:00:00.000Z', event: 'x', message: 'x' });
    expect(inner.records.map((r) => (r.kind === 'decision' ? `${r.model}:${r.action}:${r.acted}` : r.kind))).toEqual([
      'a:hold:none',
      'a:hold:none',
      'a:scale-up:dry-run',
      'a:scale-up:dry-run',
      'b:hold:none',
      'a:scale-up:enqueued',
      'a:scale-up:enqueued',
      'daemon',
    ]);
  });

  it('RepeatedDecisionFilter forgets a model removed by a config reload: added again, its first decision is written', () => {
    const inner = new MemorySink();
    const f = new RepeatedDecisionFilter(inner, { leaveOut: 'holds' });
    void f.write(decision({ model: 'gone' }));
    void f.write(decision({ model: 'kept' }));
    void f.write({
      kind: 'config',
      time: '2026-01-01T00:00:01.000Z',
      event: 'reloaded',
      message: 'removed [gone]',
      detail: { added: [], changed: [], removed: ['gone'] },
    });
    void f.write(decision({ model: 'gone', time: '2026-01-01T00:00:02.000Z' })); // a new model's first: in
    void f.write(decision({ model: 'kept', time: '2026-01-01T00:00:02.000Z' })); // repeated hold: out
    expect(inner.records.map((r) => (r.kind === 'decision' ? r.model : r.kind))).toEqual([
      'gone',
      'kept',
      'config',
      'gone',
    ]);
  });

  it('warmpool start --log-level: a bad level exits 2 naming it, before anything starts', async () => {
    let err = '';
    expect(
      await main(
        ['start', '--log-level', 'chatty'],
        () => undefined,
        (t) => (err += t + '\n'),
      ),
    ).toBe(2);
    expect(err).toMatch(/--log-level: got "chatty", expected one of trace, debug, info/);
  });
});
