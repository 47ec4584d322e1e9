import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '@warmpool/domain';
import { RESOURCE_TYPES, type FakeKubeApiServer, type JsonObject } from '@warmpool/testing/kubernetes';
import { KubernetesApiError } from '../src/errors/kubernetes-api-error.js';
import { KubernetesRegistrar } from '../src/kubernetes-registrar.js';
import { KubernetesReplicaProvider } from '../src/kubernetes-replica-provider.js';
import { kubeConfigFor, recordingRetryEnv, startFake } from './helpers.js';

const registration = { replicaId: 'pod', model: 'llama', url: 'http://10.0.0.7:9100', executionProvider: 'cuda' };

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  lastProbeTime?: string;
}

function conditions(fake: FakeKubeApiServer, name: string): Condition[] {
  const pod = fake.store.get(RESOURCE_TYPES.pods, 'serving', name);
  return ((pod.status as JsonObject).conditions ?? []) as unknown as Condition[];
}

function warm(fake: FakeKubeApiServer, name: string): Condition | undefined {
  return conditions(fake, name).find((c) => c.type === 'warmpool.io/warm');
}

describe('KubernetesRegistrar against the fake API server', () => {
  let fake: FakeKubeApiServer;
  let pod: string;
  let registrar: KubernetesRegistrar;

  beforeEach(async () => {
    fake = await startFake();
    fake.addDeployment({ namespace: 'serving', name: 'llama', replicas: 1 });
    pod = String((fake.pods('serving')[0]!.metadata as JsonObject).name);
    registrar = new KubernetesRegistrar({
      kubeConfig: kubeConfigFor(fake),
      namespace: 'serving',
      podName: pod,
      nowMs: () => Date.parse('2026-03-01T12:00:05.000Z'),
      retry: { baseDelayMs: 1 },
      retryEnv: recordingRetryEnv(),
    });
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('register sets the warmpool.io/warm condition True through pods/status by strategic merge, keeping the kubelet conditions', async () => {
    await registrar.register(registration);
    expect(warm(fake, pod)).toMatchObject({
      status: 'True',
      reason: 'WarmupConverged',
      message: 'warm on cuda',
      lastTransitionTime: '2026-03-01T12:00:05.000Z',
    });
    expect(
      conditions(fake, pod)
        .map((c) => c.type)
        .sort(),
    ).toEqual(['ContainersReady', 'PodScheduled', 'Ready', 'warmpool.io/warm']);
    const reqs = fake.requests.filter((r) => r.method !== 'GET');
    expect(reqs.map((r) => `${r.method} ${r.path}`)).toEqual([`PATCH /api/v1/namespaces/serving/pods/${pod}/status`]);
    expect(reqs[0]!.contentType).toBe('application/strategic-merge-patch+json');
    // Nothing but the status: no labels or annotations written on the pod.
    const meta = fake.store.get(RESOURCE_TYPES.pods, 'serving', pod).metadata as JsonObject;
    expect(meta.labels).toEqual({ app: 'llama' });
  });

  it('fail sets the condition False with the reason; register afterwards turns it True again', async () => {
    await registrar.fail(registration, 'latency did not converge within 60 s');
    expect(warm(fake, pod)).toMatchObject({
      status: 'False',
      reason: 'WarmupFailed',
      message: 'latency did not converge within 60 s',
    });
    await registrar.register(registration);
    expect(warm(fake, pod)).toMatchObject({ status: 'True', reason: 'WarmupConverged' });
  });

  it('with the readiness gate the pod turns Ready only once registered, and the provider reads the condition', async () => {
    fake.addDeployment({ namespace: 'serving', name: 'gated', replicas: 1, readinessGates: ['warmpool.io/warm'] });
    const gated = String((fake.pods('serving', 'app=gated')[0]!.metadata as JsonObject).name);
    const agent = new KubernetesRegistrar({
      kubeConfig: kubeConfigFor(fake),
      namespace: 'serving',
      podName: gated,
      nowMs: () => Date.parse('2026-03-01T12:00:07.000Z'),
      retryEnv: recordingRetryEnv(),
    });
    const provider = new KubernetesReplicaProvider({
      kubeConfig: kubeConfigFor(fake),
      targets: new Map([
        [
          'gated',
          {
            namespace: 'serving',
            kind: 'Deployment',
            name: 'gated',
            podSelector: 'app=gated',
            requireWarmLabel: false,
          },
        ],
      ]),
    });
    fake.setPodReady(gated, true, 'serving'); // containers ready (the /readyz probe passes); the gate is not
    expect(conditions(fake, gated).find((c) => c.type === 'Ready')!.status).toBe('False');
    expect((await provider.getState('gated')).replicas[0]!.phase).toBe('warming');
    await agent.register(registration);
    expect(conditions(fake, gated).find((c) => c.type === 'Ready')!.status).toBe('True');
    const ready = (await provider.getState('gated')).replicas[0]!;
    expect(ready.phase).toBe('ready');
    expect(ready.readyAtMs).toBe(Date.parse('2026-03-01T12:00:07.000Z'));
    await agent.deregister(registration);
    expect(conditions(fake, gated).find((c) => c.type === 'Ready')!.status).toBe('False');
    expect((await provider.getState('gated')).replicas[0]!.phase).toBe('draining');
    await agent.fail(registration, 'oom');
    expect((await provider.getState('gated')).replicas[0]!.phase).toBe('failed');
    await provider.close();
  });

  it('with requireWarmLabel and no gate, a Ready pod is warming until registered', async () => {
    const provider = new KubernetesReplicaProvider({
      kubeConfig: kubeConfigFor(fake),
      targets: new Map([
        [
          'llama',
          { namespace: 'serving', kind: 'Deployment', name: 'llama', podSelector: 'app=llama', requireWarmLabel: true },
        ],
      ]),
    });
    fake.setPodReady(pod, true, 'serving');
    expect((await provider.getState('llama')).replicas[0]!.phase).toBe('warming');
    await registrar.register(registration);
    expect((await provider.getState('llama')).replicas[0]!.phase).toBe('ready');
    await provider.close();
  });

  it('heartbeat writes nothing unless asked to, then refreshes lastProbeTime of a False Warming condition', async () => {
    await registrar.heartbeat(registration);
    expect(fake.requestsTo('PATCH', '/pods/')).toHaveLength(0);
    const chatty = new KubernetesRegistrar({
      kubeConfig: kubeConfigFor(fake),
      namespace: 'serving',
      podName: pod,
      annotateHeartbeat: true,
      nowMs: () => Date.parse('2026-03-01T12:00:01.000Z'),
    });
    await chatty.heartbeat(registration);
    expect(warm(fake, pod)).toMatchObject({
      status: 'False',
      reason: 'Warming',
      lastProbeTime: '2026-03-01T12:00:01.000Z',
    });
  });

  it('a missing pod is a typed 404 naming the pod', async () => {
    const lost = new KubernetesRegistrar({ kubeConfig: kubeConfigFor(fake), namespace: 'serving', podName: 'gone-1' });
    const err = (await lost.register(registration).catch((e: unknown) => e)) as KubernetesApiError;
    expect(err).toBeInstanceOf(KubernetesApiError);
    expect(err.code).toBe('E_K8S_NOT_FOUND');
    expect(err.message).toContain('Pod serving/gone-1/status');
  });

  it('refuses to start without pod name and namespace', () => {
    expect(() => new KubernetesRegistrar({ kubeConfig: kubeConfigFor(fake), namespace: '', podName: '' })).toThrow(
      ValidationError,
    );
    expect(() => new KubernetesRegistrar({ kubeConfig: kubeConfigFor(fake), namespace: '', podName: '' })).toThrow(
      /POD_NAME/,
    );
  });
});
