import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FakeKubeApiServer } from '@warmpool/testing/kubernetes';
import { AutoscalerConflictError } from '../src/errors/autoscaler-conflict-error.js';
import { KubernetesApiError } from '../src/errors/kubernetes-api-error.js';
import { KubernetesReplicaProvider } from '../src/kubernetes-replica-provider.js';
import type { KubernetesTarget } from '../src/kubernetes-target.js';
import { kubeConfigFor, recordingRetryEnv, startFake } from './helpers.js';

const llama: KubernetesTarget = {
  namespace: 'serving',
  kind: 'Deployment',
  name: 'llama',
  podSelector: 'app=llama',
  requireWarmLabel: false,
};
const bert: KubernetesTarget = {
  namespace: 'serving',
  kind: 'StatefulSet',
  name: 'bert',
  podSelector: 'app=bert',
  requireWarmLabel: false,
};
const req = (model: string, replicas: number, key: string) => ({
  model,
  replicas,
  idempotencyKey: key,
  reason: 'ForecastScaleAhead',
  message: 'ahead',
});

describe('KubernetesReplicaProvider beside an HPA or a KEDA ScaledObject', () => {
  let fake: FakeKubeApiServer;
  let provider: KubernetesReplicaProvider;

  beforeEach(async () => {
    fake = await startFake();
    fake.addDeployment({ namespace: 'serving', name: 'llama', replicas: 1 });
    fake.addStatefulSet({ namespace: 'serving', name: 'bert', replicas: 1 });
    provider = new KubernetesReplicaProvider({
      kubeConfig: kubeConfigFor(fake),
      targets: new Map([
        ['llama', llama],
        ['bert', bert],
      ]),
      retry: { requestTimeoutMs: 2000, baseDelayMs: 1, maxDelayMs: 5 },
      retryEnv: recordingRetryEnv(),
    });
  });

  afterEach(async () => {
    await provider.close();
    await fake.stop();
  });

  it('refuses to scale a Deployment an HPA targets, naming both objects, and writes nothing', async () => {
    fake.addHpa({ namespace: 'serving', name: 'llama-cpu', target: { kind: 'Deployment', name: 'llama' } });
    const err = (await provider.scale(req('llama', 3, 'k1')).catch((e: unknown) => e)) as AutoscalerConflictError;
    expect(err).toBeInstanceOf(AutoscalerConflictError);
    expect(err.code).toBe('E_AUTOSCALER_CONFLICT');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('Deployment serving/llama');
    expect(err.message).toContain('HorizontalPodAutoscaler serving/llama-cpu');
    expect(err.message).toContain('mode: advise');
    expect(err.owners).toEqual([{ kind: 'HorizontalPodAutoscaler', namespace: 'serving', name: 'llama-cpu' }]);
    expect(fake.requestsTo('PUT', '/scale')).toHaveLength(0);
    expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect((await provider.getState('llama')).desired).toBe(1);
  });

  it('refuses when a KEDA ScaledObject targets the workload (kind defaulted to Deployment as KEDA does), naming both', async () => {
    fake.addScaledObject({ namespace: 'serving', name: 'llama-queue', target: { name: 'llama' } });
    fake.addHpa({ namespace: 'serving', name: 'keda-hpa-llama-queue', target: { kind: 'Deployment', name: 'llama' } });
    const err = (await provider.checkCanAct('llama').catch((e: unknown) => e)) as AutoscalerConflictError;
    expect(err).toBeInstanceOf(AutoscalerConflictError);
    expect(err.message).toContain('ScaledObject serving/llama-queue');
    expect(err.message).toContain('HorizontalPodAutoscaler serving/keda-hpa-llama-queue');
    await expect(provider.scale(req('llama', 2, 'k2'))).rejects.toBeInstanceOf(AutoscalerConflictError);
  });

  it('refuses one model and still scales the others', async () => {
    fake.addScaledObject({
      namespace: 'serving',
      name: 'bert-so',
      target: { kind: 'StatefulSet', name: 'bert', apiVersion: 'apps/v1' },
    });
    await expect(provider.scale(req('bert', 4, 'b1'))).rejects.toBeInstanceOf(AutoscalerConflictError);
    await provider.scale(req('llama', 4, 'l1'));
    expect((await provider.getState('llama')).desired).toBe(4);
    expect((await provider.getState('bert')).desired).toBe(1);
  });

  it('ignores autoscalers of other workloads, other kinds and other namespaces', async () => {
    fake.addHpa({ namespace: 'serving', name: 'other', target: { kind: 'Deployment', name: 'gateway' } });
    fake.addHpa({
      namespace: 'serving',
      name: 'same-name-statefulset',
      target: { kind: 'StatefulSet', name: 'llama' },
    });
    fake.addHpa({ namespace: 'elsewhere', name: 'llama', target: { kind: 'Deployment', name: 'llama' } });
    fake.addScaledObject({
      namespace: 'serving',
      name: 'rollout',
      target: { kind: 'Rollout', name: 'llama', apiVersion: 'argoproj.io/v1alpha1' },
    });
    await provider.checkCanAct('llama');
    await provider.scale(req('llama', 2, 'k'));
    expect((await provider.getState('llama')).desired).toBe(2);
  });

  it('a cluster without KEDA (keda.sh answers 404) only has HPAs to check', async () => {
    fake.kedaInstalled = false;
    await provider.scale(req('llama', 2, 'k'));
    expect((await provider.getState('llama')).desired).toBe(2);
    fake.addHpa({ namespace: 'serving', name: 'llama', target: { name: 'llama' } });
    await expect(provider.scale(req('llama', 3, 'k3'))).rejects.toBeInstanceOf(AutoscalerConflictError);
  });

  it('a daemon not allowed to list HPAs gets a typed 403 naming what it could not list, and does not scale', async () => {
    fake.faults.failNext(1, 403, {
      message: 'horizontalpodautoscalers.autoscaling is forbidden',
      match: { method: 'GET', pathIncludes: '/horizontalpodautoscalers' },
    });
    const err = (await provider.scale(req('llama', 3, 'k')).catch((e: unknown) => e)) as KubernetesApiError;
    expect(err).toBeInstanceOf(KubernetesApiError);
    expect(err.code).toBe('E_K8S_FORBIDDEN');
    expect(err.message).toContain('HorizontalPodAutoscaler serving/(all)');
    expect(fake.requestsTo('PUT', '/scale')).toHaveLength(0);
  });

  it('the check can be turned off (checkAutoscalerConflicts: false)', async () => {
    fake.addHpa({ namespace: 'serving', name: 'llama', target: { name: 'llama' } });
    const p = new KubernetesReplicaProvider({
      kubeConfig: kubeConfigFor(fake),
      targets: new Map([['llama', llama]]),
      checkAutoscalerConflicts: false,
      retryEnv: recordingRetryEnv(),
    });
    await p.scale(req('llama', 2, 'k'));
    expect((await p.getState('llama')).desired).toBe(2);
    await p.close();
  });
});
