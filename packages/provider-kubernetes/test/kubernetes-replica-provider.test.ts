import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError, WarmpoolError } from '@warmpool/domain';
import type { FakeKubeApiServer } from '@warmpool/testing/kubernetes';
import { KubernetesApiError } from '../src/errors/kubernetes-api-error.js';
import { UnknownModelError } from '../src/errors/unknown-model-error.js';
import { KubernetesReplicaProvider } from '../src/kubernetes-replica-provider.js';
import type { KubernetesTarget } from '../src/kubernetes-target.js';
import { WarmpoolAnnotation } from '../src/warmpool-keys.js';
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
  requireWarmLabel: true,
};

describe('KubernetesReplicaProvider against the fake API server', () => {
  let fake: FakeKubeApiServer;
  let provider: KubernetesReplicaProvider;
  let env: ReturnType<typeof recordingRetryEnv>;

  beforeEach(async () => {
    fake = await startFake();
    fake.addDeployment({ namespace: 'serving', name: 'llama', replicas: 1 });
    fake.addStatefulSet({ namespace: 'serving', name: 'bert', replicas: 2 });
    env = recordingRetryEnv();
    provider = new KubernetesReplicaProvider({
      kubeConfig: kubeConfigFor(fake),
      targets: new Map([
        ['llama', llama],
        ['bert', bert],
      ]),
      retry: { requestTimeoutMs: 100, baseDelayMs: 10, maxDelayMs: 100 },
      retryEnv: env,
    });
  });

  afterEach(async () => {
    await provider.close();
    await fake.stop();
  });

  it('scales a Deployment through its scale subresource and records the decision key', async () => {
    const outcome = await provider.scaleWithOutcome({
      model: 'llama',
      replicas: 3,
      idempotencyKey: 'd-1',
      reason: 'ForecastScaleAhead',
      message: 'ahead',
    });
    expect(outcome).toMatchObject({ applied: true, previousReplicas: 1, replicas: 3, conflicts: 0 });
    const puts = fake.requestsTo('PUT', '/deployments/llama/scale');
    expect(puts).toHaveLength(1);
    expect(puts[0]!.body).toMatchObject({ spec: { replicas: 3 }, metadata: { resourceVersion: expect.any(String) } });
    // The workload itself is never written: only its scale subresource, and the key goes to the decision Lease.
    expect(
      fake.requests.filter((r) => r.method !== 'GET' && r.path.includes('/deployments/') && !r.path.endsWith('/scale')),
    ).toEqual([]);
    const lease = fake.lease('warmpool-decisions', 'serving')!;
    const ann = (lease.metadata as { annotations: Record<string, string> }).annotations;
    expect(JSON.parse(ann[WarmpoolAnnotation.RecentDecisions]!)).toEqual({ 'Deployment/llama': ['d-1'] });
    const state = await provider.getState('llama');
    expect(state.desired).toBe(3);
    expect(state.replicas).toHaveLength(3);
    expect(state.replicas.every((r) => r.phase === 'warming')).toBe(true);
  });

  it('scales a StatefulSet down, removing the highest ordinals', async () => {
    await provider.scale({
      model: 'bert',
      replicas: 1,
      idempotencyKey: 'b-1',
      reason: 'ScaleDownStable',
      message: 'down',
    });
    const state = await provider.getState('bert');
    expect(state.desired).toBe(1);
    expect(state.replicas.map((r) => r.id)).toEqual(['bert-0']);
  });

  it('applies an idempotency key once, even after another actor changed the replicas', async () => {
    await provider.scale({ model: 'llama', replicas: 4, idempotencyKey: 'k', reason: 'r', message: 'm' });
    fake.setReplicas('Deployment', 'llama', 2, 'serving');
    const again = await provider.scaleWithOutcome({
      model: 'llama',
      replicas: 4,
      idempotencyKey: 'k',
      reason: 'r',
      message: 'm',
    });
    expect(again).toMatchObject({ applied: false, skipped: 'duplicate' });
    expect((await provider.getState('llama')).desired).toBe(2);
    expect(fake.requestsTo('PUT', '/scale')).toHaveLength(1);
  });

  it('remembers older keys too: replaying an earlier decision after a later one is a no-op', async () => {
    await provider.scale({ model: 'llama', replicas: 5, idempotencyKey: 'a', reason: 'r', message: 'm' });
    await provider.scale({ model: 'llama', replicas: 2, idempotencyKey: 'b', reason: 'r', message: 'm' });
    const replay = await provider.scaleWithOutcome({
      model: 'llama',
      replicas: 5,
      idempotencyKey: 'a',
      reason: 'r',
      message: 'm',
    });
    expect(replay.skipped).toBe('duplicate');
    expect((await provider.getState('llama')).desired).toBe(2);
  });

  it('re-reads and retries when the scale write hits a 409 Conflict', async () => {
    fake.faults.failNext(2, 409, { match: { method: 'PUT', pathIncludes: '/scale' } });
    const outcome = await provider.scaleWithOutcome({
      model: 'llama',
      replicas: 2,
      idempotencyKey: 'c',
      reason: 'r',
      message: 'm',
    });
    expect(outcome).toMatchObject({ applied: true, conflicts: 2 });
    expect(fake.requestsTo('PUT', '/scale').map((r) => r.status)).toEqual([409, 409, 200]);
    expect((await provider.getState('llama')).desired).toBe(2);
  });

  it('a 409 on the decision Lease write after the scale write re-reads and does not write the scale twice', async () => {
    await provider.scale({ model: 'bert', replicas: 3, idempotencyKey: 'first', reason: 'r', message: 'm' });
    expect(fake.requestsTo('POST', '/leases')).toHaveLength(1);
    fake.faults.failNext(1, 409, { match: { method: 'PUT', pathIncludes: '/leases/warmpool-decisions' } });
    const outcome = await provider.scaleWithOutcome({
      model: 'llama',
      replicas: 3,
      idempotencyKey: 'ann',
      reason: 'r',
      message: 'm',
    });
    expect(outcome).toMatchObject({ applied: true, conflicts: 1 });
    expect(fake.requestsTo('PUT', '/deployments/llama/scale')).toHaveLength(1);
    expect(fake.requestsTo('PUT', '/leases/warmpool-decisions').map((r) => r.status)).toEqual([409, 200]);
    const again = await provider.scaleWithOutcome({
      model: 'llama',
      replicas: 3,
      idempotencyKey: 'ann',
      reason: 'r',
      message: 'm',
    });
    expect(again.skipped).toBe('duplicate');
    // One Lease per namespace keeps every workload's keys apart.
    const ann = (fake.lease('warmpool-decisions', 'serving')!.metadata as { annotations: Record<string, string> })
      .annotations;
    expect(JSON.parse(ann[WarmpoolAnnotation.RecentDecisions]!)).toEqual({
      'StatefulSet/bert': ['first'],
      'Deployment/llama': ['ann'],
    });
  });

  it('the decision Lease keeps its spec (holder, times) as it was: the ledger writes only its annotation', async () => {
    fake.store.create({ group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease' }, 'serving', {
      metadata: { name: 'warmpool-decisions' },
      spec: { holderIdentity: 'someone', leaseDurationSeconds: 15 },
    });
    await provider.scale({ model: 'llama', replicas: 2, idempotencyKey: 'k', reason: 'r', message: 'm' });
    const lease = fake.lease('warmpool-decisions', 'serving')!;
    expect(lease.spec).toEqual({ holderIdentity: 'someone', leaseDurationSeconds: 15 });
    expect(
      JSON.parse(
        (lease.metadata as { annotations: Record<string, string> }).annotations[WarmpoolAnnotation.RecentDecisions]!,
      ),
    ).toEqual({ 'Deployment/llama': ['k'] });
  });

  it('keeps only the last recentDecisionsKept keys per workload', async () => {
    const p = new KubernetesReplicaProvider({
      kubeConfig: kubeConfigFor(fake),
      targets: new Map([['llama', llama]]),
      recentDecisionsKept: 3,
      retryEnv: env,
      decisionLeaseName: 'my-ledger',
    });
    for (let i = 1; i <= 5; i++)
      await p.scale({ model: 'llama', replicas: i, idempotencyKey: `k${i}`, reason: 'r', message: 'm' });
    const ann = (fake.lease('my-ledger', 'serving')!.metadata as { annotations: Record<string, string> }).annotations;
    expect(JSON.parse(ann[WarmpoolAnnotation.RecentDecisions]!)).toEqual({ 'Deployment/llama': ['k3', 'k4', 'k5'] });
    await p.close();
  });

  it('gives up after maxConflictRetries with a typed conflict error naming the object', async () => {
    fake.faults.failNext(50, 409, { match: { method: 'PUT', pathIncludes: '/scale' } });
    const err = await provider
      .scale({ model: 'llama', replicas: 2, idempotencyKey: 'c', reason: 'r', message: 'm' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubernetesApiError);
    expect((err as KubernetesApiError).code).toBe('E_K8S_CONFLICT');
    expect((err as KubernetesApiError).message).toContain('Deployment serving/llama/scale');
    expect(fake.requestsTo('PUT', '/scale')).toHaveLength(6);
  });

  it('backs off on 429 for at least Retry-After, then succeeds', async () => {
    fake.faults.failNext(2, 429, { retryAfterS: 3, match: { pathIncludes: '/scale' } });
    await provider.scale({ model: 'llama', replicas: 2, idempotencyKey: 't', reason: 'r', message: 'm' });
    expect(env.sleeps).toHaveLength(2);
    expect(env.sleeps.every((ms) => ms >= 3000)).toBe(true);
    expect((await provider.getState('llama')).desired).toBe(2);
  });

  it('retries 500s with growing backoff', async () => {
    fake.faults.failNext(3, 500, { match: { method: 'GET', pathIncludes: '/pods' } });
    const state = await provider.getState('llama');
    expect(state.replicas).toHaveLength(1);
    expect(env.sleeps).toEqual([5, 10, 20]); // full jitter at random 0.5: half of base 10 ms x 2^(n-1)
  });

  it('throws a typed server error after the last attempt, with the status and the cause', async () => {
    fake.faults.failNext(10, 503, { message: 'etcd is down', match: { pathIncludes: '/scale' } });
    const err = (await provider.getState('llama').catch((e: unknown) => e)) as KubernetesApiError;
    expect(err).toBeInstanceOf(WarmpoolError);
    expect(err.code).toBe('E_K8S_SERVER');
    expect(err.statusCode).toBe(503);
    expect(err.attempts).toBe(5);
    expect(err.message).toContain('etcd is down');
    expect(err.message).toContain('serving/llama');
    expect(err.cause).toBeDefined();
  });

  it('times out a hanging request and retries it', async () => {
    fake.faults.delayNext(1, 5000, { match: { method: 'GET', pathIncludes: '/scale' } });
    const state = await provider.getState('llama');
    expect(state.desired).toBe(1);
    const gets = fake.requestsTo('GET', '/scale');
    expect(gets).toHaveLength(2);
    expect(gets[0]!.status).toBe(0);
    expect(env.sleeps).toHaveLength(1);
  });

  it('a scale write that timed out but was applied is settled by the 409 that follows, not written twice', async () => {
    fake.faults.delayNext(1, 5000, { applyFirst: true, match: { method: 'PUT', pathIncludes: '/scale' } });
    const outcome = await provider.scaleWithOutcome({
      model: 'llama',
      replicas: 3,
      idempotencyKey: 'lost-answer',
      reason: 'r',
      message: 'm',
    });
    expect(outcome).toMatchObject({ applied: true, replicas: 3, conflicts: 1 });
    // First PUT applied but unanswered (timeout), its retry carried the old resourceVersion (409); the re-read saw 3.
    expect(fake.requestsTo('PUT', '/scale').map((r) => r.status)).toEqual([200, 409]);
    expect((await provider.getState('llama')).desired).toBe(3);
    expect(fake.pods('serving', 'app=llama')).toHaveLength(3);
  });

  it('reports a timeout as E_K8S_TIMEOUT once retries are spent', async () => {
    fake.faults.delayNext(5, 5000, { match: { pathIncludes: '/scale' } });
    const err = (await provider.getState('llama').catch((e: unknown) => e)) as KubernetesApiError;
    expect(err.code).toBe('E_K8S_TIMEOUT');
    expect(err.message).toContain('100 ms');
  });

  it('does not retry a 404 and names the missing workload', async () => {
    const p = new KubernetesReplicaProvider({
      kubeConfig: kubeConfigFor(fake),
      targets: new Map([['ghost', { ...llama, name: 'ghost' }]]),
      retryEnv: env,
    });
    const err = (await p.getState('ghost').catch((e: unknown) => e)) as KubernetesApiError;
    expect(err.code).toBe('E_K8S_NOT_FOUND');
    expect(err.message).toMatch(/Deployment serving\/ghost\/scale.*404 NotFound.*"ghost" not found/);
    expect(err.attempts).toBe(1);
  });

  it('rejects unknown models and bad replica counts with typed errors', async () => {
    await expect(provider.getState('nope')).rejects.toBeInstanceOf(UnknownModelError);
    await expect(
      provider.scale({ model: 'llama', replicas: -1, idempotencyKey: 'x', reason: 'r', message: 'm' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      provider.scale({ model: 'llama', replicas: 1.5, idempotencyKey: 'x', reason: 'r', message: 'm' }),
    ).rejects.toThrow(/replicas: got 1.5/);
    expect(fake.requestsTo('PUT', '/scale')).toHaveLength(0);
  });

  it('maps pod readiness and phases to replica phases', async () => {
    await provider.scale({ model: 'llama', replicas: 4, idempotencyKey: 'p', reason: 'r', message: 'm' });
    const pods = fake.pods('serving', 'app=llama').map((p) => String((p.metadata as { name: string }).name));
    fake.setPodReady(pods[0]!, true, 'serving');
    fake.setPodPhase(pods[1]!, 'Pending', 'serving');
    fake.setPodPhase(pods[2]!, 'Failed', 'serving');
    const state = await provider.getState('llama');
    const byId = new Map(state.replicas.map((r) => [r.id, r]));
    expect(byId.get(pods[0]!)!.phase).toBe('ready');
    expect(byId.get(pods[0]!)!.readyAtMs).toBeGreaterThan(0);
    expect(byId.get(pods[1]!)!.phase).toBe('loading');
    expect(byId.get(pods[2]!)!.phase).toBe('failed');
    expect(byId.get(pods[3]!)!.phase).toBe('warming');
  });

  it('with requireWarmLabel, a Ready pod is ready only once its warmpool.io/warm condition is True', async () => {
    fake.setPodReady('bert-0', true, 'serving');
    expect((await provider.getState('bert')).replicas.find((r) => r.id === 'bert-0')!.phase).toBe('warming');
    fake.workloads.writePodStatus(
      'serving',
      'bert-0',
      {
        status: {
          conditions: [
            {
              type: 'warmpool.io/warm',
              status: 'True',
              reason: 'WarmupConverged',
              lastTransitionTime: '2026-01-01T00:00:10Z',
            },
          ],
        },
      },
      'application/strategic-merge-patch+json',
    );
    const ready = (await provider.getState('bert')).replicas.find((r) => r.id === 'bert-0')!;
    expect(ready.phase).toBe('ready');
    expect(ready.readyAtMs).toBe(Date.parse('2026-01-01T00:00:10.000Z'));
  });

  it('with requireWarmLabel, a Ready pod of an older agent is ready once labelled warm', async () => {
    fake.setPodReady('bert-0', true, 'serving');
    expect((await provider.getState('bert')).replicas.find((r) => r.id === 'bert-0')!.phase).toBe('warming');
    fake.store.patch(
      { group: '', version: 'v1', resource: 'pods', kind: 'Pod' },
      'serving',
      'bert-0',
      'application/merge-patch+json',
      {
        metadata: {
          labels: { 'warmpool.io/warm': 'true' },
          annotations: { 'warmpool.io/warm-at': '2026-01-01T00:00:10.000Z' },
        },
      },
    );
    const ready = (await provider.getState('bert')).replicas.find((r) => r.id === 'bert-0')!;
    expect(ready.phase).toBe('ready');
    expect(ready.readyAtMs).toBe(Date.parse('2026-01-01T00:00:10.000Z'));
  });

  it('a closed provider refuses work with a typed error', async () => {
    await provider.close();
    await expect(provider.getState('llama')).rejects.toMatchObject({ code: 'E_PROVIDER_CLOSED' });
  });
});
