import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { ManualClock } from '@warmpool/queue';
import { FakeKubeApiServer, type JsonObject } from '@warmpool/testing/kubernetes';
import { parseConfigText } from '../src/config/load-config-file.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import type { Daemon } from '../src/daemon/daemon.js';
import type { DaemonLogRecord } from '../src/daemon/daemon-record.js';
import { FunctionHistory, T0 } from './support/daemon-harness.js';
import { grantedTo, manifests, permissionOf } from './support/infra-manifests.js';
import { configPath } from './support/config-path.js';

// integration tests over loopback HTTP / Redis: generous limits for a loaded machine (they take ~1 s)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let fake: FakeKubeApiServer;
const live: Daemon[] = [];

beforeAll(async () => {
  fake = await FakeKubeApiServer.start();
});
afterAll(async () => {
  for (const d of live) await d.stop().catch(() => undefined);
  await fake.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, fn: () => boolean, maxMs = 8000): Promise<void> {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > maxMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function yaml(o: { leader: boolean; models: string }): string {
  return `tickS: 1
provider: { kind: kubernetes, kubeconfigPath: /dev/null }
history: { kind: csv, directory: /tmp, backfillS: 600 }
${o.leader ? 'leaderElection: { kind: kubernetes-lease, namespace: warmpool, name: warmpool-autoscaler, leaseDurationS: 3 }' : ''}
models:
${o.models}`;
}

function model(name: string, kind = 'Deployment'): string {
  return `  - name: ${name}
    capacityPerReplicaPerS: 10
    leadTime: { provisionS: 5, loadS: 3, warmupS: 2 }
    minWarmReplicas: 1
    maxReplicas: 20
    horizonS: 10
    stepS: 10
    target: { namespace: serving, kind: ${kind}, name: ${name}, podSelector: app=${name} }
`;
}

interface Running {
  readonly daemon: Daemon;
  readonly clock: ManualClock;
  readonly records: DaemonLogRecord[];
}

/** A daemon built from config exactly as `warmpool run` builds it, its clients pointed at the fake. */
function daemonFor(text: string, identity: string, history: FunctionHistory, clock = new ManualClock(T0)): Running {
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfig());
  const out = new PassThrough();
  const records: DaemonLogRecord[] = [];
  out.on('data', (b: Buffer) => {
    for (const l of b.toString().split('\n')) if (l.trim()) records.push(JSON.parse(l) as DaemonLogRecord);
  });
  const daemon = buildDaemon({
    config: parseConfigText(text, configPath(`${identity}.yaml`)),
    env: { POD_NAME: identity },
    stdout: out,
    clock,
    kubeConfig: kc,
    createHistory: () => history,
    kubernetesRetry: { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50, requestTimeoutMs: 300 },
    queueOptions: { attempts: 3, backoffBaseMs: 50 },
  });
  live.push(daemon);
  return { daemon, clock, records };
}

/** Demand: 5/s in history; from T0 + 20 s on, 45/s for `hot` models. */
const history = (hot: (m: string) => boolean) =>
  new FunctionHistory((m, t) => (hot(m) && t >= T0 / 1000 + 20 ? 45 : 5));

async function tick(r: Running, ms = 1000): Promise<void> {
  await r.clock.advanceBy(ms);
  await r.daemon.idle();
}

function scaleWrites(name: string): number[] {
  return fake.requests
    .filter((q) => q.method === 'PUT' && q.path.endsWith(`/deployments/${name}/scale`))
    .map((q) => (q.body as { spec: { replicas: number } }).spec.replicas);
}

describe('the daemon on Kubernetes (real client against the fake API server)', () => {
  it('two daemons: the Lease holder scales ahead through the scale subresource and emits Events; the other logs standby and takes over when the leader stops', async () => {
    fake.addDeployment({ namespace: 'serving', name: 'llama', replicas: 1 });
    fake.addStatefulSet({ namespace: 'serving', name: 'resnet', replicas: 1 });
    fake.setAllPodsReady('serving');
    const text = yaml({ leader: true, models: model('llama') + model('resnet', 'StatefulSet') });
    const h = history(() => true); // both the Deployment and the StatefulSet get a spike
    const a = daemonFor(text, 'daemon-a', h);
    await a.daemon.start();
    await a.clock.advanceBy(0);
    await until('a leads', () => a.records.some((r) => r.kind === 'leader' && r.event === 'elected'));
    const clockB = new ManualClock(T0);
    const b = daemonFor(text, 'daemon-b', h, clockB);
    await b.daemon.start();
    for (let i = 0; i < 35; i++) {
      await tick(a);
      await tick(b);
    }
    await until(
      'the scale-up jobs',
      () => a.records.filter((r) => r.kind === 'job' && r.event === 'completed').length >= 2,
    );
    const up = a.records.find((r) => r.kind === 'decision' && r.model === 'llama' && r.acted === 'enqueued');
    expect(up).toMatchObject({ action: 'scale-up', leader: true, from: 1 });
    const target = (up as { to: number }).to;
    expect(target).toBeGreaterThanOrEqual(5);
    expect(scaleWrites('llama')).toEqual([target]);
    // the decision key is on the workload (idempotency) and an Event says why
    const events = fake.events('serving');
    expect(
      events.some(
        (e) =>
          (e.involvedObject as JsonObject).name === 'llama' &&
          ['ScaleAhead', 'ScaleUp', 'ReactivePanic'].includes(String(e.reason)),
      ),
    ).toBe(true);
    // b decided too, but only logged
    const bDecisions = b.records.filter((r) => r.kind === 'decision' && r.model === 'llama');
    // (stdout leaves out a standby decision that repeats the last one: b decided 35 times, fewer lines show it)
    expect(bDecisions.length).toBeGreaterThan(0);
    expect(bDecisions.every((r) => r.kind === 'decision' && !r.leader)).toBe(true);
    expect(
      bDecisions
        .filter((r) => r.kind === 'decision' && r.action === 'scale-up')
        .every((r) => r.kind === 'decision' && r.acted === 'standby'),
    ).toBe(true);
    expect(b.records.find((r) => r.kind === 'leader')).toMatchObject({ event: 'standby' });

    // the leader goes away (SIGTERM): it releases the Lease, b takes over and acts
    await a.daemon.stop('SIGTERM');
    expect(fake.lease('warmpool-autoscaler', 'warmpool')!.spec).toMatchObject({ holderIdentity: '' });
    for (let i = 0; i < 5 && !b.records.some((r) => r.kind === 'leader' && r.event === 'elected'); i++) {
      await tick(b);
      await sleep(50);
    }
    await until('b leads', () => b.records.some((r) => r.kind === 'leader' && r.event === 'elected'));
    await tick(b);
    expect(b.records.flatMap((r) => (r.kind === 'leader' ? [r.event] : []))).toContain('leading');
    expect((fake.lease('warmpool-autoscaler', 'warmpool')!.spec as JsonObject).holderIdentity).toBe('daemon-b');
    await tick(b);
    expect(b.records.filter((r) => r.kind === 'decision').at(-1)).toMatchObject({ leader: true });
    await b.daemon.stop();
  });

  it('faults: 5xx and 429 are retried by the provider, 403 fails the job without retrying; the log says what happened and nothing is scaled twice', async () => {
    fake.addDeployment({ namespace: 'serving', name: 'f1', replicas: 1 });
    fake.addDeployment({ namespace: 'serving', name: 'f2', replicas: 1 });
    fake.setAllPodsReady('serving');
    const r = daemonFor(
      yaml({ leader: false, models: model('f1') + model('f2') }),
      'daemon-f',
      history((m) => m === 'f1'),
    );
    fake.faults.failNext(2, 503, { match: { method: 'PUT', pathIncludes: '/deployments/f1/scale' } });
    fake.faults.failNext(1, 429, { match: { method: 'PUT', pathIncludes: '/deployments/f1/scale' }, retryAfterS: 0 });
    await r.daemon.start();
    for (let i = 0; i <= 35; i++) await tick(r, i === 0 ? 0 : 1000);
    await until('f1 scaled', () =>
      r.records.some((x) => x.kind === 'job' && x.model === 'f1' && x.event === 'completed'),
    );
    const writes = scaleWrites('f1');
    expect(writes.length).toBe(4); // 503, 503, 429, then applied
    expect(new Set(writes).size).toBe(1);
    expect(
      fake.requests.filter((q) => q.method === 'PUT' && q.path.endsWith('/deployments/f1/scale') && q.status === 200),
    ).toHaveLength(1);

    // f2 now sees a spike too, but the API server forbids the write (RBAC): no retries, a failed job in the log
    fake.faults.failNext(1, 403, { match: { method: 'PUT', pathIncludes: '/deployments/f2/scale' } });
    await r.daemon.stop();
    const r2 = daemonFor(
      yaml({ leader: false, models: model('f2') }),
      'daemon-g',
      history(() => true),
      new ManualClock(T0 + 60_000),
    );
    await r2.daemon.start();
    for (let i = 0; i <= 3; i++) await tick(r2, i === 0 ? 0 : 1000);
    await until('f2 job failed', () => r2.records.some((x) => x.kind === 'job' && x.event === 'failed'));
    const failed = r2.records.find((x) => x.kind === 'job' && x.event === 'failed');
    expect(failed).toMatchObject({ model: 'f2', error: { code: 'E_K8S_FORBIDDEN', stage: 'scale' }, attempt: 1 });
    // the forbidden write was tried once (not retried); a later decision with a new target is a new job
    const failedTo = (failed as { replicas: number }).replicas;
    expect(scaleWrites('f2').filter((n) => n === failedTo)).toHaveLength(1);
    expect(fake.requests.find((q) => q.method === 'PUT' && q.path.endsWith('/deployments/f2/scale'))!.status).toBe(403);
    await r2.daemon.stop();
  });

  it('a daemon killed in the middle of a scale-up: the restarted one makes the same job id and nothing is scaled twice', async () => {
    fake.addDeployment({ namespace: 'serving', name: 'k1', replicas: 1 });
    fake.setAllPodsReady('serving');
    const text = yaml({ leader: false, models: model('k1') });
    const spike = history(() => true);
    // the scale write is applied but its answer never arrives (the daemon dies waiting)
    fake.faults.delayNext(1, 5000, {
      match: { method: 'PUT', pathIncludes: '/deployments/k1/scale' },
      applyFirst: true,
    });
    const first = daemonFor(text, 'daemon-k', spike, new ManualClock(T0 + 30_000));
    await first.daemon.start();
    await tick(first, 0);
    const decided = first.records.find((x) => x.kind === 'decision' && x.acted === 'enqueued');
    expect(decided).toBeDefined();
    await until('the write applied', () => scaleWrites('k1').length === 1);
    // killed: no stop(), no cleanup; its in-process queue is gone with it
    live.splice(live.indexOf(first.daemon), 1);
    const second = daemonFor(text, 'daemon-k', spike, new ManualClock(T0 + 31_000));
    await second.daemon.start();
    await tick(second, 0);
    const again = second.records.find((x) => x.kind === 'decision');
    expect(again).toMatchObject({ kind: 'decision' });
    // the restarted daemon reads the new desired count from the cluster: nothing to do, or the same job id
    if (again!.kind === 'decision' && again!.acted === 'enqueued')
      expect(again!.jobId).toBe((decided as { jobId: string }).jobId);
    await sleep(100);
    const writes = scaleWrites('k1');
    expect(new Set(writes).size).toBe(1);
    expect(
      fake.requests.filter((q) => q.method === 'PUT' && q.path.endsWith('/deployments/k1/scale') && q.status === 200)
        .length,
    ).toBeLessThanOrEqual(2);
    await second.daemon.stop();
  });

  it('infra/kubernetes/base grants exactly the verbs the daemon used above (provider, event recorder, lease elector)', () => {
    const used = new Set(fake.requests.map((q) => permissionOf(q.method, q.path) ?? `unmapped ${q.method} ${q.path}`));
    const granted = grantedTo(manifests('kubernetes/base'), 'warmpool-autoscaler');
    // delete on pods: replacing a failed replica, which these scenarios do not reach (the provider's conformance suite does)
    expect([...used].sort()).toEqual([...granted].filter((g) => g !== 'serving||pods|delete').sort());
    expect(granted).toContain('serving||pods|delete');
    expect(granted).toContain('serving|apps|deployments/scale|update');
    expect(granted).toContain('serving||events|patch');
    expect(granted).toContain('warmpool|coordination.k8s.io|leases|create');
  });
});
