import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PassThrough } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { ManualClock } from '@warmpool/queue';
import { FakeKubeApiServer, type JsonObject } from '@warmpool/testing/kubernetes';
import { parseConfigText } from '../src/config/load-config-file.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import type { DaemonDecisionRecord, DaemonLogRecord } from '../src/daemon/daemon-record.js';
import { FunctionHistory, T0 } from './support/daemon-harness.js';
import { configPath } from './support/config-path.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let fake: FakeKubeApiServer;
beforeAll(async () => {
  fake = await FakeKubeApiServer.start();
});
afterAll(async () => {
  await fake.stop();
});

const CONFIG = `tickS: 1
provider: { kind: kubernetes, kubeconfigPath: /dev/null }
history: { kind: csv, directory: /tmp, backfillS: 600 }
models:
  - name: llama
    capacityPerReplicaPerS: 10
    leadTime: { provisionS: 5, loadS: 3, warmupS: 2 }
    minWarmReplicas: 2
    maxReplicas: 20
    horizonS: 10
    stepS: 10
    target: { namespace: serving, kind: Deployment, name: llama, podSelector: app=llama }
`;

const podNames = (): string[] => fake.pods('serving', 'app=llama').map((p) => String((p.metadata as JsonObject).name));

describe('the daemon on Kubernetes heals (real client against the fake API server)', () => {
  it('a pod that fails is counted failed, deleted with a Warning Event ReplicaFailed naming it, and its Deployment starts a fresh one', async () => {
    fake.addDeployment({ namespace: 'serving', name: 'llama', replicas: 2 });
    fake.setAllPodsReady('serving', 'app=llama');
    const clock = new ManualClock(T0);
    const kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig());
    const out = new PassThrough();
    const records: DaemonLogRecord[] = [];
    out.on('data', (b: Buffer) => {
      for (const l of b.toString().split('\n')) if (l.trim()) records.push(JSON.parse(l) as DaemonLogRecord);
    });
    const daemon = buildDaemon({
      config: parseConfigText(CONFIG, configPath('heal.yaml')),
      env: { POD_NAME: 'daemon-heal' },
      stdout: out,
      clock,
      kubeConfig: kc,
      createHistory: () => new FunctionHistory(() => 5),
      kubernetesRetry: { baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50, requestTimeoutMs: 1000 },
      // No checkpoint: a lead time another test measured (a shared state file) must not be restored here.
      checkpoint: false,
      queueOptions: { attempts: 3, backoffBaseMs: 50 },
    });
    try {
      await daemon.start();
      await clock.advanceBy(0);
      await daemon.idle();
      const [victim, survivor] = podNames();
      fake.setPodPhase(victim!, 'Failed', 'serving');
      for (let i = 0; i < 3 && !fake.requestsTo('DELETE', '/pods/').length; i++) {
        await clock.advanceBy(1000);
        await daemon.idle();
        await clock.advanceBy(0);
        await daemon.idle();
      }
      const decisions = records.filter((r): r is DaemonDecisionRecord => r.kind === 'decision');
      const healing = decisions.find((d) => d.replaced);
      expect(healing).toMatchObject({
        model: 'llama',
        acted: 'enqueued',
        failed: 1,
        ready: 1,
        replaced: [{ id: victim, reason: expect.stringMatching(/^failed: pod Failed/) }],
      });
      expect(healing!.reasons).toContain('ReplicaFailed');
      expect(fake.requestsTo('DELETE', '/pods/').map((r) => r.path)).toEqual([
        expect.stringContaining(`/pods/${victim}`),
      ]);
      // The job finishes (the Event is written after the delete) a moment later: wait for it, bounded.
      for (let i = 0; i < 200 && !records.some((r) => r.kind === 'job' && r.event === 'completed'); i++)
        await new Promise((r) => setTimeout(r, 25));
      const events = fake.events('serving').filter((e) => e.reason === 'ReplicaFailed');
      expect(events).toHaveLength(1);
      // Written by the daemon's recorder: its component and this daemon as the reporting instance.
      expect(events[0]).toMatchObject({
        type: 'Warning',
        involvedObject: { kind: 'Pod', name: victim },
        reportingInstance: 'daemon-heal',
      });
      // No ScaleUp Event on the Deployment for a replacement that keeps its size.
      expect(fake.events('serving').map((e) => e.reason)).toEqual(['ReplicaFailed']);
      expect(String(events[0]!.message)).toContain(
        `warmpool deleted pod ${victim} of Deployment serving/llama to replace it: failed: pod Failed`,
      );
      // The capacity comes back: a fresh pod beside the survivor; once it is Ready, two ready and nothing failed.
      expect(podNames()).not.toContain(victim);
      expect(podNames()).toContain(survivor);
      expect(podNames()).toHaveLength(2);
      fake.setAllPodsReady('serving', 'app=llama');
      await clock.advanceBy(1000);
      await daemon.idle();
      const last = records.filter((r): r is DaemonDecisionRecord => r.kind === 'decision').at(-1)!;
      expect(last).toMatchObject({ ready: 2, warming: 0 });
      expect(last.failed).toBeUndefined();
      // Nothing scaled: the Deployment stays at 2 and no scale was written.
      expect(fake.requests.filter((q) => q.method === 'PUT' && q.path.endsWith('/deployments/llama/scale'))).toEqual(
        [],
      );
    } finally {
      await daemon.stop();
    }
  });
});
