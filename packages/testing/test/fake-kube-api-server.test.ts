import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeKubeApiServer } from '../src/kubernetes/fake-kube-api-server.js';

/** Plain-fetch tests of the fake's HTTP contract; the real client is driven in provider-kubernetes. */
describe('FakeKubeApiServer HTTP contract', () => {
  let fake: FakeKubeApiServer;

  const call = async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    // biome-ignore lint/suspicious/noExplicitAny: the tests walk arbitrary Kubernetes JSON bodies (json.items[0].metadata.name); a typed shape per endpoint would only restate the fake
  ): Promise<{ status: number; json: any; headers: Headers }> => {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: body !== undefined ? { 'Content-Type': contentType } : {},
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: await res.json(), headers: res.headers };
  };
  const scalePath = '/apis/apps/v1/namespaces/serving/deployments/llama/scale';

  beforeEach(async () => {
    fake = await FakeKubeApiServer.start({ nowMs: () => Date.parse('2026-03-01T12:00:00.000Z') });
    fake.addDeployment({ namespace: 'serving', name: 'llama', replicas: 2, podLabels: { app: 'llama', tier: 'gpu' } });
  });

  afterEach(async () => {
    await fake.stop();
  });

  it('listens on loopback and writes a kubeconfig with insecure-skip-tls-verify', () => {
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(fake.kubeconfig('serving')).toContain('insecure-skip-tls-verify: true');
    expect(fake.kubeconfig('serving')).toContain(`server: "${fake.url}"`);
  });

  it('serves the scale subresource and pods follow it', async () => {
    const got = await call('GET', scalePath);
    expect(got.status).toBe(200);
    expect(got.json).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 2 },
      status: { replicas: 2, selector: 'app=llama,tier=gpu' },
    });
    const put = await call('PUT', scalePath, {
      metadata: { name: 'llama', resourceVersion: got.json.metadata.resourceVersion },
      spec: { replicas: 4 },
    });
    expect(put.status).toBe(200);
    expect(fake.pods('serving', 'app=llama')).toHaveLength(4);
    const stale = await call('PUT', scalePath, {
      metadata: { name: 'llama', resourceVersion: got.json.metadata.resourceVersion },
      spec: { replicas: 1 },
    });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
    const patched = await call(
      'PATCH',
      scalePath,
      [{ op: 'replace', path: '/spec/replicas', value: 1 }],
      'application/json-patch+json',
    );
    expect(patched.json.spec.replicas).toBe(1);
    expect(fake.pods('serving')).toHaveLength(1);
  });

  it('answers 422 for a negative scale, 404 for unknown objects, 415 for an unknown patch type', async () => {
    const bad = await call('PUT', scalePath, { spec: { replicas: -2 } });
    expect(bad.status).toBe(422);
    expect(bad.json).toMatchObject({ reason: 'Invalid', details: { causes: [{ field: 'spec.replicas' }] } });
    const missing = await call('GET', '/apis/apps/v1/namespaces/serving/deployments/ghost');
    expect(missing.status).toBe(404);
    expect(missing.json.message).toBe('deployments.apps "ghost" not found');
    const ct = await call('PATCH', scalePath, { spec: { replicas: 1 } }, 'text/plain');
    expect(ct.status).toBe(415);
    expect((await call('GET', '/apis/nothing/v1/namespaces/a/things')).status).toBe(404);
    const watch = await call('GET', '/api/v1/namespaces/serving/pods?watch=true');
    expect(watch.status).toBe(400);
    expect(watch.json.message).toContain('watch is not supported');
  });

  it('lists pods by label selector with readiness the test controls', async () => {
    const pods = await call(
      'GET',
      '/api/v1/namespaces/serving/pods?labelSelector=' + encodeURIComponent('app=llama,tier in (gpu)'),
    );
    expect(pods.json.kind).toBe('PodList');
    expect(pods.json.items).toHaveLength(2);
    const name = pods.json.items[0].metadata.name as string;
    fake.setPodReady(name, true, 'serving');
    const one = await call('GET', `/api/v1/namespaces/serving/pods/${name}`);
    expect(one.json.status.conditions.find((c: { type: string }) => c.type === 'Ready').status).toBe('True');
    const dep = await call('GET', '/apis/apps/v1/namespaces/serving/deployments/llama');
    expect(dep.json.status).toMatchObject({ replicas: 2, readyReplicas: 1 });
    expect((await call('GET', '/api/v1/namespaces/serving/pods?labelSelector=app%3Dbert')).json.items).toHaveLength(0);
  });

  it('leases: create, 409 AlreadyExists, replace with resourceVersion, 409 on stale, 400 on millisecond MicroTime', async () => {
    const base = '/apis/coordination.k8s.io/v1/namespaces/serving/leases';
    const spec = { holderIdentity: 'a', leaseDurationSeconds: 15, renewTime: '2026-03-01T12:00:00.000000Z' };
    const created = await call('POST', base, { metadata: { name: 'l' }, spec });
    expect(created.status).toBe(201);
    expect((await call('POST', base, { metadata: { name: 'l' }, spec })).json).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
    });
    const rv = created.json.metadata.resourceVersion;
    const replaced = await call('PUT', `${base}/l`, {
      metadata: { name: 'l', resourceVersion: rv },
      spec: { ...spec, holderIdentity: 'b' },
    });
    expect(replaced.status).toBe(200);
    expect((await call('PUT', `${base}/l`, { metadata: { name: 'l', resourceVersion: rv }, spec })).status).toBe(409);
    const ms = await call('PUT', `${base}/l`, {
      metadata: { name: 'l' },
      spec: { ...spec, renewTime: '2026-03-01T12:00:00.000Z' },
    });
    expect(ms.status).toBe(400);
    expect(ms.json.message).toContain('2006-01-02T15:04:05.000000Z07:00');
  });

  it('events: create with generateName; involvedObject required', async () => {
    const base = '/api/v1/namespaces/serving/events';
    const ok = await call('POST', base, {
      metadata: { generateName: 'llama.' },
      involvedObject: { kind: 'Deployment', name: 'llama' },
      reason: 'ScaleAhead',
      message: 'm',
      type: 'Normal',
    });
    expect(ok.status).toBe(201);
    expect(ok.json.metadata.name).toMatch(/^llama\./);
    expect((await call('POST', base, { metadata: { name: 'x' }, reason: 'R' })).status).toBe(422);
    expect(fake.events('serving')).toHaveLength(1);
    const v1 = await call('POST', '/apis/events.k8s.io/v1/namespaces/serving/events', {
      metadata: { name: 'e1' },
      regarding: { kind: 'Deployment', name: 'llama' },
      reason: 'ScaleAhead',
      note: 'n',
      type: 'Normal',
      eventTime: '2026-03-01T12:00:00.000000Z',
      reportingController: 'warmpool.io/autoscaler',
      reportingInstance: 'w-0',
      action: 'Scale',
    });
    expect(v1.status).toBe(201);
    expect(v1.json).toMatchObject({ apiVersion: 'events.k8s.io/v1', kind: 'Event' });
  });

  it('fault injection: fail with Retry-After, then delays that drop the request when the client gives up', async () => {
    fake.faults.failNext(1, 429, { retryAfterS: 7, match: { pathIncludes: '/scale' } });
    const throttled = await call('GET', scalePath);
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('7');
    expect(throttled.json).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 7 } });
    expect((await call('GET', scalePath)).status).toBe(200);

    fake.faults.delayNext(1, 60_000, { match: { method: 'PUT' } });
    const aborted = await fetch(`${fake.url}${scalePath}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ spec: { replicas: 9 } }),
      signal: AbortSignal.timeout(50),
    }).catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(Error);
    expect(fake.faults.pending()).toBe(0);
    const last = fake.requestsTo('PUT', '/scale').at(-1)!;
    expect(last).toMatchObject({ fault: 'delay', status: 0 });
    expect((await call('GET', scalePath)).json.spec.replicas).toBe(2);
  });

  it('applyFirst delays only the answer: the write lands even though the client gave up', async () => {
    fake.faults.delayNext(1, 60_000, { applyFirst: true, match: { method: 'PUT' } });
    const aborted = await fetch(`${fake.url}${scalePath}`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ spec: { replicas: 5 } }),
      signal: AbortSignal.timeout(50),
    }).catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(Error);
    expect((await call('GET', scalePath)).json.spec.replicas).toBe(5);
    expect(fake.requestsTo('PUT', '/scale')[0]).toMatchObject({ fault: 'delay', status: 200 });
  });

  it('records requests with method, path, query, content type and body', async () => {
    await call('GET', '/api/v1/namespaces/serving/pods?labelSelector=app%3Dllama');
    await call(
      'PATCH',
      '/apis/apps/v1/namespaces/serving/deployments/llama',
      { metadata: { annotations: { a: 'b' } } },
      'application/merge-patch+json',
    );
    expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      'GET /api/v1/namespaces/serving/pods 200',
      'PATCH /apis/apps/v1/namespaces/serving/deployments/llama 200',
    ]);
    expect(fake.requests[0]!.query).toEqual({ labelSelector: 'app=llama' });
    expect(fake.requests[1]!.contentType).toBe('application/merge-patch+json');
    expect(fake.requests[1]!.body).toEqual({ metadata: { annotations: { a: 'b' } } });
  });
});
