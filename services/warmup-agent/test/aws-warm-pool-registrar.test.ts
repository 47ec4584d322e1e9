import { describe, expect, it } from 'vitest';
import { WarmpoolError, type Registrar, type ReplicaRegistration } from '@warmpool/domain';
import { AwsWarmPoolRegistrar, type QuickPassReplica } from '../src/aws-warm-pool-registrar.js';
import type { TargetLifecycleState } from '../src/instance-metadata-client.js';

const REG: ReplicaRegistration = {
  replicaId: 'i-0123456789abcdef0',
  model: 'tiny',
  url: 'http://127.0.0.1:9100',
  executionProvider: 'cpu',
};

/** Records the lifecycle calls; `register` fails with the queued errors first. */
class RecordingRegistrar implements Registrar {
  readonly name = 'aws-lifecycle';
  readonly calls: string[] = [];
  registerErrors: (Error | undefined)[] = [];
  async heartbeat(): Promise<void> {
    this.calls.push('heartbeat');
  }
  async register(): Promise<void> {
    this.calls.push('CONTINUE');
    const e = this.registerErrors.shift();
    if (e) throw e;
  }
  async fail(_r: ReplicaRegistration, reason: string): Promise<void> {
    this.calls.push(`ABANDON: ${reason}`);
  }
  async deregister(): Promise<void> {}
}

const replica = (fail = false): QuickPassReplica => ({
  warmTargets: [
    { label: 'seq16', feeds: {} },
    { label: 'seq64', feeds: {} },
  ],
  infer: async () => {
    if (fail) throw new Error('worker exited');
    return { latencyMs: 1.5 };
  },
});

function states(...seq: TargetLifecycleState[]): () => Promise<TargetLifecycleState> {
  let i = 0;
  return async () => seq[Math.min(i++, seq.length - 1)]!;
}

describe('AwsWarmPoolRegistrar', () => {
  it('InService: a quick pass over every warm target, then CONTINUE', async () => {
    const inner = new RecordingRegistrar();
    const events: Record<string, unknown>[] = [];
    const r = new AwsWarmPoolRegistrar({ inner, targetState: states('InService'), log: (e) => events.push(e) });
    r.attach(replica());
    await r.register(REG);
    expect(inner.calls).toEqual(['CONTINUE']);
    expect(events.map((e) => e['event'])).toEqual(['target-lifecycle-state', 'quick-pass']);
    expect(events[1]).toMatchObject({ targets: 2, latenciesMs: { seq16: 1.5, seq64: 1.5 } });
  });

  it('a quick pass that fails ABANDONs the hook and fails the registration (E_QUICK_PASS_FAILED)', async () => {
    const inner = new RecordingRegistrar();
    const r = new AwsWarmPoolRegistrar({ inner, targetState: states('InService'), log: () => {} });
    r.attach(replica(true));
    await expect(r.register(REG)).rejects.toMatchObject({
      code: 'E_QUICK_PASS_FAILED',
      message: 'quick warmth re-check failed: worker exited',
    });
    expect(inner.calls).toEqual(['ABANDON: quick warmth re-check failed: worker exited']);
  });

  it('Warmed:Running: CONTINUE into the pool, wait, then out of the pool: quick pass and CONTINUE again once the new action is open', async () => {
    const inner = new RecordingRegistrar();
    const events: Record<string, unknown>[] = [];
    const r = new AwsWarmPoolRegistrar({
      inner,
      targetState: states('Warmed:Running', 'Warmed:Running', 'Warmed:Running', 'InService'),
      pollMs: 1,
      log: (e) => events.push(e),
    });
    r.attach(replica());
    // Into the pool: fine; out of the pool: the launch has not opened its lifecycle action at the first try.
    inner.registerErrors = [
      undefined,
      new WarmpoolError('E_AWS_LIFECYCLE_ACTION_NOT_FOUND', 'no open lifecycle action'),
    ];
    await r.register(REG);
    expect(inner.calls).toEqual(['CONTINUE', 'CONTINUE', 'CONTINUE']);
    expect(events.map((e) => e['event'])).toEqual([
      'target-lifecycle-state',
      'warm-pool-entered',
      'warm-pool-left',
      'quick-pass',
    ]);
  });

  it('interrupted while in the pool: E_STOPPED, nothing more completed', async () => {
    const inner = new RecordingRegistrar();
    const r = new AwsWarmPoolRegistrar({ inner, targetState: states('Warmed:Hibernated'), pollMs: 5, log: () => {} });
    r.attach(replica());
    const run = r.register(REG);
    await new Promise((resolve) => setTimeout(resolve, 30));
    r.interrupt();
    await expect(run).rejects.toMatchObject({ code: 'E_STOPPED' });
    expect(inner.calls).toEqual(['CONTINUE']);
  });

  it('leaving the pool for anything but service: E_AWS_WARM_POOL_LEFT; a target of Terminated at first: E_AWS_NOT_LAUNCHING, nothing completed', async () => {
    const inner = new RecordingRegistrar();
    const r = new AwsWarmPoolRegistrar({
      inner,
      targetState: states('Warmed:Running', 'Terminated'),
      pollMs: 1,
      log: () => {},
    });
    r.attach(replica());
    await expect(r.register(REG)).rejects.toMatchObject({ code: 'E_AWS_WARM_POOL_LEFT' });
    const inner2 = new RecordingRegistrar();
    const r2 = new AwsWarmPoolRegistrar({ inner: inner2, targetState: states('Terminated'), log: () => {} });
    await expect(r2.register(REG)).rejects.toMatchObject({ code: 'E_AWS_NOT_LAUNCHING' });
    expect(inner2.calls).toEqual([]);
  });
});
