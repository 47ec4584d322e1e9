import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithPromtool, promtoolCheckMetrics } from '@warmpool/testing/prometheus';
import { ensureTestModel } from '../src/models/test-model-catalog.js';
import { ModelReplica } from '../src/replica/model-replica.js';
import { ModelServer } from '../src/server/model-server.js';
import { WARMUP_SPEC_DEFAULTS } from '../src/warmup/warmup-spec.js';

const replica = new ModelReplica({
  name: 'tiny',
  modelPath: ensureTestModel('tiny-transformer'),
  session: { executionProviders: ['cpu'] },
  spec: { ...WARMUP_SPEC_DEFAULTS, shapes: [{ batch: 1, seq: 8 }], windowSize: 3, tolerance: 0.5, keepWarmIdleMs: 0 },
});
const server = new ModelServer({ replicas: [replica] });
let url = '';

beforeAll(async () => {
  url = (await server.listen()).url;
});
afterAll(async () => {
  await server.close();
  await replica.close();
});

const infer = (model: string, body: unknown) =>
  fetch(`${url}/v1/models/${model}/infer`, {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

describe('ModelServer', () => {
  it('answers livez, and readyz/startupz 503 with the reason before warm-up, then 200 after', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    const before = await fetch(`${url}/readyz`);
    expect(before.status).toBe(503);
    expect(await before.json()).toMatchObject({ ready: false, reason: expect.stringContaining('tiny: starting') });
    expect((await fetch(`${url}/startupz`)).status).toBe(503);
    const cold = await infer('tiny', { inputs: { input_ids: { dims: [1, 2], data: [1, 2] } } });
    expect(cold.status).toBe(503);
    expect(((await cold.json()) as { error: string }).error).toBe('E_NOT_READY');

    await replica.start();
    const after = await fetch(`${url}/readyz`);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({
      ready: true,
      models: { tiny: { phase: 'ready', executionProvider: 'cpu', converged: true } },
    });
    expect((await fetch(`${url}/startupz`)).status).toBe(200);
  });

  it('runs inference with JSON tensors in and out', async () => {
    const res = await infer('tiny', { inputs: { input_ids: { dims: [2, 3], data: [1, 2, 3, 4, 5, 6] } } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      model: string;
      outputs: Record<string, { dims: number[]; type: string; data: number[] }>;
      latencyMs: number;
    };
    expect(body.model).toBe('tiny');
    expect(body.outputs['last_hidden_state']!.dims).toEqual([2, 3, 128]);
    expect(body.outputs['last_hidden_state']!.type).toBe('float32');
    expect(body.outputs['last_hidden_state']!.data).toHaveLength(2 * 3 * 128);
    expect(body.latencyMs).toBeGreaterThan(0);
  });

  it('rejects bad requests with what and where', async () => {
    const wrongLen = await infer('tiny', { inputs: { input_ids: { dims: [1, 3], data: [1, 2] } } });
    expect(wrongLen.status).toBe(400);
    const b1 = (await wrongLen.json()) as { error: string; message: string };
    expect(b1.error).toBe('E_VALIDATION');
    expect(b1.message).toContain('inputs.input_ids.data');
    expect(b1.message).toContain('3 values (product of dims [1, 3])');

    const badDims = await infer('tiny', { inputs: { input_ids: { dims: [1, 0, 2], data: [] }, extra: {} } });
    const b2 = (await badDims.json()) as { issues: Array<{ path: string }> };
    expect(badDims.status).toBe(400);
    expect(b2.issues.map((i) => i.path).sort()).toEqual(['inputs.extra', 'inputs.input_ids.dims']);

    const missing = await infer('tiny', {});
    expect(missing.status).toBe(400);
    const notJson = await infer('tiny', '{nope');
    expect(notJson.status).toBe(400);
    expect(((await notJson.json()) as { error: string }).error).toBe('E_BAD_JSON');
    const unknown = await infer('other', {});
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toContain('served: tiny');
    expect((await fetch(`${url}/v1/models/tiny/infer`)).status).toBe(405);
  });

  it('exports Prometheus metrics with the provider label, warm-up facts, requests and latency', async () => {
    const res = await fetch(`${url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(/^warmpool_model_load_seconds\{model="tiny",execution_provider="cpu"\} [\d.e-]+$/m);
    expect(text).toMatch(/^warmpool_warmup_seconds\{model="tiny",execution_provider="cpu"\} [\d.e-]+$/m);
    expect(text).toMatch(/^warmpool_warmup_first_pass_seconds\{model="tiny",shape="1x8"\} [\d.e-]+$/m);
    expect(text).toMatch(/^warmpool_warmup_steady_p50_seconds\{model="tiny",shape="1x8"\} [\d.e-]+$/m);
    expect(text).toMatch(/^warmpool_warmup_memory_peak_rss_ratio\{model="tiny"\} [\d.e-]+$/m);
    expect(text).not.toMatch(/_ms\b|_fraction\b/);
    expect(text).toMatch(/^warmpool_warmup_passes_total\{model="tiny"\} \d+$/m);
    expect(text).toMatch(/^warmpool_model_ready\{model="tiny",execution_provider="cpu"\} 1$/m);
    // prom-client's default process and Node.js metrics (the process RSS is theirs, not a copy)
    expect(text).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds [\d.e-]+$/m);
    expect(text).not.toContain('warmpool_process_resident_memory_bytes');
    expect(text).toMatch(/^warmpool_request_body_buffered_bytes 0$/m);
    expect(text).toMatch(/^warmpool_memory_headroom_bytes \d+$/m);
    expect(text).toMatch(/^warmpool_inference_requests_total\{model="tiny",code="200"\} 1$/m);
    expect(text).toMatch(/^warmpool_inference_requests_total\{model="tiny",code="400"\} 4$/m);
    expect(text).toMatch(/^warmpool_inference_requests_total\{model="tiny",code="503"\} 1$/m);
    expect(text).toMatch(/^warmpool_inference_request_duration_seconds_count\{model="tiny"\} 1$/m);
    expect(text).toMatch(/^warmpool_inference_request_duration_seconds_bucket\{le="\+Inf",model="tiny"\} 1$/m);
    expect(text).toContain('# TYPE warmpool_inference_request_duration_seconds histogram');
  });

  it('readyz goes 503 while draining', async () => {
    await replica.drain();
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reason: string }).reason).toContain('draining');
  });
});

describeWithPromtool('the model server /metrics', () => {
  it('passes promtool check metrics (after requests, warm-up and draining)', async () => {
    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toContain('warmpool_inference_requests_total{model="tiny",code="200"}');
    const r = await promtoolCheckMetrics(text);
    expect(r.output).toBe('');
    expect(r.code).toBe(0);
  }, 30_000);
});
