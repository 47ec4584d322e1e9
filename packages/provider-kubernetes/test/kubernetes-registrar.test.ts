import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError } from '@warmpool/domain';
import { RESOURCE_TYPES, type FakeKubeApiServer, type JsonObject } from '@warmpool/testing/kubernetes';
import { KubernetesApiError } from '../src/errors/kubernetes-api-error.js';
import { KubernetesRegistrar } from '../src/kubernetes-registrar.js';
import { KubernetesReplicaProvider } from '../src/kubernetes-replica-provider.js';
import { kubeConfigFor, recordingRetryEnv, startFake } from './helpers.js';

const registration = { replicaId: 'pod', model: 'llama', url: 'http://10.0.0.7:9100', executionProvider: 'cuda' };

function podMeta(fake: FakeKubeApiServer, name: string): { labels: Record<string, string>; annotations: Record<string, string> } {
  const pod = fake.store.get(RESOURCE_TYPES.pods, 'serving', name);
  const m = pod.metadata as JsonObject;
  return { labels: (m.labels ?? {}) as Record<string, string>, annotations: (m.annotations ?? {}) as Record<string, string> };
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

  it('register labels the pod warm and annotates time and execution provider via merge patch', async () => {
    await registrar.register(registration);
    const { labels, annotations } = podMeta(fake, pod);
    expect(labels).toMatchObject({ app: 'llama', 'warmpool.io/warm': 'true' });
    expect(annotations).toMatchObject({ 'warmpool.io/warm-at': '2026-03-01T12:00:05.000Z', 'warmpool.io/execution-provider': 'cuda' });
    const req = fake.requestsTo('PATCH', `/pods/${pod}`)[0]!;
    expect(req.contentType).toBe('application/merge-patch+json');
  });

  it('fail annotates the reason and clears warm; register afterwards clears the failure', async () => {
    await registrar.fail(registration, 'latency did not converge within 60 s');
    expect(podMeta(fake, pod).labels['warmpool.io/warm']).toBe('false');
    expect(podMeta(fake, pod).annotations['warmpool.io/warmup-failed']).toBe('latency did not converge within 60 s');
    await registrar.register(registration);
    expect(podMeta(fake, pod).annotations['warmpool.io/warmup-failed']).toBeUndefined();
  });

  it('the provider sees the registrar labels: failed pods are failed, deregistered pods drain', async () => {
    const provider = new KubernetesReplicaProvider({
      kubeConfig: kubeConfigFor(fake),
      targets: new Map([['llama', { namespace: 'serving', kind: 'Deployment', name: 'llama', podSelector: 'app=llama', requireWarmLabel: true }]]),
    });
    fake.setPodReady(pod, true, 'serving');
    expect((await provider.getState('llama')).replicas[0]!.phase).toBe('warming');
    await registrar.register(registration);
    const ready = (await provider.getState('llama')).replicas[0]!;
    expect(ready.phase).toBe('ready');
    expect(ready.readyAtMs).toBe(Date.parse('2026-03-01T12:00:05.000Z'));
    await registrar.deregister(registration);
    expect((await provider.getState('llama')).replicas[0]!.phase).toBe('draining');
    await registrar.fail(registration, 'oom');
    expect(podMeta(fake, pod).annotations['warmpool.io/warmup-failed']).toBe('oom');
    await provider.close();
  });

  it('heartbeat writes nothing unless asked to', async () => {
    await registrar.heartbeat(registration);
    expect(fake.requestsTo('PATCH', '/pods/')).toHaveLength(0);
    const chatty = new KubernetesRegistrar({ kubeConfig: kubeConfigFor(fake), namespace: 'serving', podName: pod, annotateHeartbeat: true });
    await chatty.heartbeat(registration);
    expect(podMeta(fake, pod).annotations['warmpool.io/heartbeat']).toEqual(expect.any(String));
  });

  it('a missing pod is a typed 404 naming the pod', async () => {
    const lost = new KubernetesRegistrar({ kubeConfig: kubeConfigFor(fake), namespace: 'serving', podName: 'gone-1' });
    const err = (await lost.register(registration).catch((e: unknown) => e)) as KubernetesApiError;
    expect(err).toBeInstanceOf(KubernetesApiError);
    expect(err.code).toBe('E_K8S_NOT_FOUND');
    expect(err.message).toContain('Pod serving/gone-1');
  });

  it('refuses to start without pod name and namespace', () => {
    expect(() => new KubernetesRegistrar({ kubeConfig: kubeConfigFor(fake), namespace: '', podName: '' })).toThrow(ValidationError);
    expect(() => new KubernetesRegistrar({ kubeConfig: kubeConfigFor(fake), namespace: '', podName: '' })).toThrow(/POD_NAME/);
  });
});
