import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { V1Pod } from '@kubernetes/client-node';
import { ValidationError, WarmpoolError } from '@warmpool/domain';
import { FakeKubeApiServer } from '@warmpool/testing/kubernetes';
import { loadKubeConfig } from '../src/kube-config-loader.js';
import { KubernetesReplicaProvider } from '../src/kubernetes-replica-provider.js';
import { parseKubernetesTargets } from '../src/kubernetes-target.js';
import { podToReplica } from '../src/pod-replica.js';
import { KubernetesApiError } from '../src/errors/kubernetes-api-error.js';
import { recordingRetryEnv } from './helpers.js';

describe('parseKubernetesTargets', () => {
  it('fills defaults', () => {
    const t = parseKubernetesTargets({ llama: { name: 'llama', podSelector: 'app=llama' } });
    expect(t.get('llama')).toEqual({
      namespace: 'default',
      kind: 'Deployment',
      name: 'llama',
      podSelector: 'app=llama',
      requireWarmLabel: false,
    });
  });

  it('names every bad key, value and what is allowed at once', () => {
    let err: unknown;
    try {
      parseKubernetesTargets(
        { llama: { name: 'Llama_Bad', kind: 'ReplicaSet', podSelector: '', namespace: 'x', extra: 1 } },
        'warmpool.yaml',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const v = err as ValidationError;
    expect(v.issues.map((i) => i.path).sort()).toEqual([
      'targets.llama.extra',
      'targets.llama.kind',
      'targets.llama.name',
      'targets.llama.podSelector',
    ]);
    expect(v.message).toContain('warmpool.yaml');
    expect(v.message).toContain('one of Deployment, StatefulSet');
  });
});

describe('podToReplica', () => {
  const base = (over: Partial<V1Pod>): V1Pod =>
    ({
      metadata: {
        name: 'p',
        creationTimestamp: new Date('2026-03-01T12:00:00Z'),
        labels: {},
        annotations: {},
        ...over.metadata,
      },
      status: { phase: 'Running', conditions: [], ...over.status },
      spec: over.spec,
    }) as V1Pod;

  it.each([
    [
      'unscheduled Pending',
      base({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] } }),
      'provisioning',
    ],
    [
      'scheduled Pending',
      base({ status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }] } }),
      'loading',
    ],
    ['Running not Ready', base({}), 'warming'],
    [
      'Ready',
      base({
        status: {
          phase: 'Running',
          conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date('2026-03-01T12:01:00Z') }],
        },
      }),
      'ready',
    ],
    ['terminating', base({ metadata: { name: 'p', deletionTimestamp: new Date() } }), 'draining'],
    ['Succeeded', base({ status: { phase: 'Succeeded' } }), 'failed'],
    [
      'warm-up failed annotation',
      base({ metadata: { name: 'p', annotations: { 'warmpool.io/warmup-failed': 'oom' } } }),
      'failed',
    ],
  ])('%s → %s', (_label, pod, phase) => {
    expect(podToReplica(pod, false).phase).toBe(phase);
  });

  it('ready time is the warm annotation, else the Ready transition', () => {
    const ready = base({
      status: {
        phase: 'Running',
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: new Date('2026-03-01T12:01:00Z') }],
      },
    });
    expect(podToReplica(ready, false)).toEqual({
      id: 'p',
      phase: 'ready',
      requestedAtMs: Date.parse('2026-03-01T12:00:00Z'),
      readyAtMs: Date.parse('2026-03-01T12:01:00Z'),
    });
    ready.metadata!.annotations = { 'warmpool.io/warm-at': '2026-03-01T12:00:59.500Z' };
    expect(podToReplica(ready, false).readyAtMs).toBe(Date.parse('2026-03-01T12:00:59.500Z'));
  });
});

describe('loadKubeConfig', () => {
  it('loads a kubeconfig file written by the fake helper and talks to the server', async () => {
    const fake = await FakeKubeApiServer.start();
    const dir = await mkdtemp(join(tmpdir(), 'warmpool-k8s-'));
    try {
      fake.addDeployment({ name: 'llama', replicas: 1 });
      const kc = loadKubeConfig({ kubeconfigPath: await fake.writeKubeconfig(join(dir, 'config'), 'default') });
      const provider = new KubernetesReplicaProvider({
        kubeConfig: kc,
        targets: parseKubernetesTargets({ llama: { name: 'llama', podSelector: 'app=llama' } }),
      });
      expect((await provider.getState('llama')).desired).toBe(1);
      expect(fake.requests[0]!.authorization).toBe('Bearer fake-token');
    } finally {
      await fake.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a broken kubeconfig is a typed error naming the source', () => {
    expect(() => loadKubeConfig({ kubeconfigYaml: 'clusters: [' })).toThrow(WarmpoolError);
    expect(() => loadKubeConfig({ kubeconfigPath: '/nonexistent/kubeconfig' })).toThrow(/\/nonexistent\/kubeconfig/);
    expect(() =>
      loadKubeConfig({ kubeconfigYaml: 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n' }),
    ).toThrow(/no current cluster/);
  });

  it('an API server that is gone is E_K8S_UNREACHABLE after the retries', async () => {
    const fake = await FakeKubeApiServer.start();
    fake.addDeployment({ name: 'llama', replicas: 1 });
    const kc = loadKubeConfig({ kubeconfigYaml: fake.kubeconfig() });
    await fake.stop();
    const env = recordingRetryEnv();
    const provider = new KubernetesReplicaProvider({
      kubeConfig: kc,
      targets: parseKubernetesTargets({ llama: { name: 'llama', podSelector: 'app=llama' } }),
      retry: { maxAttempts: 3, baseDelayMs: 1 },
      retryEnv: env,
    });
    const err = (await provider.getState('llama').catch((e: unknown) => e)) as KubernetesApiError;
    expect(err).toBeInstanceOf(KubernetesApiError);
    expect(err.code).toBe('E_K8S_UNREACHABLE');
    expect(err.attempts).toBe(3);
    expect(env.sleeps).toHaveLength(2);
  });
});
