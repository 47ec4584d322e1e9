import { KubeConfig } from '@kubernetes/client-node';
import { FakeKubeApiServer } from '@warmpool/testing/kubernetes';
import type { RetryEnv } from '../src/retry-policy.js';

/** A retry environment that records the delays asked for and never waits. */
export function recordingRetryEnv(): RetryEnv & { readonly sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };
}

export function kubeConfigFor(fake: FakeKubeApiServer): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfig());
  return kc;
}

export async function startFake(nowMs?: () => number): Promise<FakeKubeApiServer> {
  return FakeKubeApiServer.start(nowMs ? { nowMs } : {});
}
