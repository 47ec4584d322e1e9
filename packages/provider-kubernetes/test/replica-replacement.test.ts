import { KubeConfig } from '@kubernetes/client-node';
import { FakeKubeApiServer } from '@warmpool/testing/kubernetes';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KubernetesReplicaProvider } from '../src/kubernetes-replica-provider.js';
import { recordingRetryEnv } from './helpers.js';

describe('KubernetesReplicaProvider: replacing failed pods', () => {
  let fake: FakeKubeApiServer;
  let provider: KubernetesReplicaProvider;
  const eventFailures: unknown[] = [];

  beforeEach(async () => {
    eventFailures.length = 0;
    fake = await FakeKubeApiServer.start();
    fake.addDeployment({ namespace: 'serving', name: 'llama', replicas: 2 });
    fake.setAllPodsReady('serving', 'app=llama');
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(fake.kubeconfig());
    provider = new KubernetesReplicaProvider({
      kubeConfig,
      targets: new Map([
        [
          'llama',
          {
            namespace: 'serving',
            kind: 'Deployment',
            name: 'llama',
            podSelector: 'app=llama',
            requireWarmLabel: false,
          },
        ],
      ]),
      retry: { requestTimeoutMs: 1000, baseDelayMs: 1, maxAttempts: 3 },
      retryEnv: recordingRetryEnv(),
      onEventFailed: (err) => eventFailures.push(err),
    });
  });
  afterEach(async () => {
    await provider.close();
    await fake.stop();
  });

  it('deletes the failed pod (the Deployment starts a fresh one) and records a Warning Event ReplicaFailed naming the pod and why', async () => {
    const [first] = fake.pods('serving', 'app=llama').map((p) => String((p.metadata as { name: string }).name));
    fake.setPodPhase(first!, 'Failed', 'serving');
    expect((await provider.getState('llama')).replicas.find((r) => r.id === first)?.phase).toBe('failed');
    const outcome = await provider.scaleWithOutcome({
      model: 'llama',
      replicas: 2,
      idempotencyKey: 'replace:llama:1',
      reason: 'ReplicaFailed',
      message: 'replace',
      replace: [
        { id: first!, reason: 'failed: warm-up failed: E_MODEL_CORRUPT' },
        { id: 'llama-gone-00000', reason: 'gone already' },
      ],
    });
    expect(outcome.deletedPods).toEqual([first]);
    expect(fake.requestsTo('DELETE', '/pods/')).toHaveLength(1);
    const state = await provider.getState('llama');
    expect(state.desired).toBe(2);
    expect(state.replicas.map((r) => r.id)).not.toContain(first);
    expect(state.replicas.map((r) => r.phase).sort()).toEqual(['ready', 'warming']);
    const events = fake.events('serving').filter((e) => e.reason === 'ReplicaFailed');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'Warning',
      involvedObject: { kind: 'Pod', apiVersion: 'v1', name: first, namespace: 'serving' },
    });
    expect(String(events[0]!.message)).toBe(
      `warmpool deleted pod ${first} of Deployment serving/llama to replace it: failed: warm-up failed: E_MODEL_CORRUPT`,
    );
    expect(eventFailures).toEqual([]);
    // The same key again deletes nothing more.
    await provider.scale({
      model: 'llama',
      replicas: 2,
      idempotencyKey: 'replace:llama:1',
      reason: 'ReplicaFailed',
      message: 'replace',
      replace: [{ id: state.replicas[0]!.id, reason: 'x' }],
    });
    expect(fake.requestsTo('DELETE', '/pods/')).toHaveLength(1);
  });

  it('beside an HPA that targets the workload, a replacement is refused too (AutoscalerConflictError) and no pod is deleted', async () => {
    fake.addHpa({ name: 'llama-hpa', namespace: 'serving', target: { kind: 'Deployment', name: 'llama' } });
    const [first] = fake.pods('serving', 'app=llama').map((p) => String((p.metadata as { name: string }).name));
    fake.setPodPhase(first!, 'Failed', 'serving');
    await expect(
      provider.scale({
        model: 'llama',
        replicas: 2,
        idempotencyKey: 'replace:llama:hpa',
        reason: 'ReplicaFailed',
        message: 'replace',
        replace: [{ id: first!, reason: 'died' }],
      }),
    ).rejects.toMatchObject({ code: 'E_AUTOSCALER_CONFLICT' });
    expect(fake.requestsTo('DELETE', '/pods/')).toHaveLength(0);
  });

  it('an Event that cannot be written does not fail the replacement', async () => {
    const [first] = fake.pods('serving', 'app=llama').map((p) => String((p.metadata as { name: string }).name));
    fake.setPodPhase(first!, 'Failed', 'serving');
    fake.faults.failNext(100, 403, { match: { method: 'POST', pathIncludes: '/events' } });
    await provider.scale({
      model: 'llama',
      replicas: 2,
      idempotencyKey: 'replace:llama:2',
      reason: 'ReplicaFailed',
      message: 'replace',
      replace: [{ id: first!, reason: 'died' }],
    });
    expect((await provider.getState('llama')).replicas.map((r) => r.id)).not.toContain(first);
    expect(eventFailures).toHaveLength(1);
    expect(eventFailures[0]).toMatchObject({ code: 'E_K8S_FORBIDDEN' });
  });
});

describe('podToReplica: what the healer needs to know', () => {
  const base = { metadata: { name: 'llama-1', creationTimestamp: new Date('2026-01-01T00:00:00Z') } };
  it('a pod warm once and not Ready now keeps its readyAtMs (not a stuck warm-up); a failed pod says why', async () => {
    const { podToReplica } = await import('../src/pod-replica.js');
    const wasWarm = podToReplica(
      {
        ...base,
        status: {
          phase: 'Running',
          conditions: [
            { type: 'Ready', status: 'False' },
            {
              type: 'warmpool.io/warm',
              status: 'True',
              reason: 'WarmupConverged',
              lastTransitionTime: new Date('2026-01-01T00:01:00Z'),
            },
          ],
        },
      },
      true,
    );
    expect(wasWarm).toEqual({
      id: 'llama-1',
      phase: 'warming',
      requestedAtMs: Date.parse('2026-01-01T00:00:00Z'),
      readyAtMs: Date.parse('2026-01-01T00:01:00Z'),
    });
    const never = podToReplica(
      { ...base, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }] } },
      true,
    );
    expect(never.readyAtMs).toBeUndefined();
    const failed = podToReplica(
      {
        ...base,
        status: {
          phase: 'Failed',
          reason: 'Evicted',
          message: 'low on memory',
          containerStatuses: [
            {
              name: 'm',
              image: 'i',
              imageID: '',
              ready: false,
              restartCount: 0,
              state: { terminated: { exitCode: 137, reason: 'OOMKilled' } },
            },
          ],
        },
      },
      true,
    );
    expect(failed).toMatchObject({
      phase: 'failed',
      reason: 'pod Failed: Evicted: low on memory: container exited 137 (OOMKilled)',
    });
  });
});
