import { KubeConfig } from '@kubernetes/client-node';
import { replicaProviderConformance } from '@warmpool/testing/conformance';
import { FakeKubeApiServer } from '@warmpool/testing/kubernetes';
import { KubernetesReplicaProvider } from '../src/kubernetes-replica-provider.js';
import type { WorkloadKind } from '../src/kubernetes-target.js';
import { recordingRetryEnv } from './helpers.js';

for (const kind of ['Deployment', 'StatefulSet'] as const satisfies readonly WorkloadKind[]) {
  replicaProviderConformance(`kubernetes ${kind} (fake API server, real client)`, async () => {
    const fake = await FakeKubeApiServer.start();
    if (kind === 'Deployment') fake.addDeployment({ namespace: 'serving', name: 'llama', replicas: 2 });
    else fake.addStatefulSet({ namespace: 'serving', name: 'llama', replicas: 2 });
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(fake.kubeconfig());
    const provider = new KubernetesReplicaProvider({
      kubeConfig,
      targets: new Map([
        ['llama', { namespace: 'serving', kind, name: 'llama', podSelector: 'app=llama', requireWarmLabel: false }],
      ]),
      retry: { requestTimeoutMs: 1000, baseDelayMs: 1, maxAttempts: 3 },
      retryEnv: recordingRetryEnv(),
    });
    return {
      provider,
      model: 'llama',
      initialReplicas: 2,
      makeReplicasReady: async () => {
        fake.setAllPodsReady('serving', 'app=llama');
      },
      setDesiredOutOfBand: async (_model, replicas) => fake.setReplicas(kind, 'llama', replicas, 'serving'),
      // A crash the kubelet reports: a ready pod goes Failed.
      failReplica: async () => {
        const pod = fake
          .pods('serving', 'app=llama')
          .find((p) =>
            ((p.status as { conditions?: { type: string; status: string }[] }).conditions ?? []).some(
              (c) => c.type === 'Ready' && c.status === 'True',
            ),
          );
        if (!pod) throw new Error('no ready pod to fail');
        const name = String((pod.metadata as { name: string }).name);
        fake.setPodPhase(name, 'Failed', 'serving');
        return name;
      },
      // A StatefulSet's replacement pod keeps the name: its uid tells it apart.
      identity: async (_model, id) => {
        const pod = fake.pods('serving').find((p) => (p.metadata as { name: string }).name === id);
        return pod ? String((pod.metadata as { uid: string }).uid) : undefined;
      },
      breakBackend: () => fake.faults.failNext(1_000_000, 500),
      close: async () => {
        await provider.close();
        await fake.stop();
      },
    };
  });
}
