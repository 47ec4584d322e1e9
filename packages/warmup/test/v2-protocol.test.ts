import { Agent, request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestModel } from '../src/models/test-model-catalog.js';
import { ModelReplica } from '../src/replica/model-replica.js';
import { ModelServer } from '../src/server/model-server.js';
import { WARMUP_SPEC_DEFAULTS } from '../src/warmup/warmup-spec.js';

const spec = {
  ...WARMUP_SPEC_DEFAULTS,
  shapes: [{ batch: 2, seq: 8 }],
  windowSize: 3,
  tolerance: 0.5,
  keepWarmIdleMs: 0,
  concurrencyRounds: 1,
};
let warmRequests = 0;
const replica = new ModelReplica({
  name: 'tiny',
  modelPath: ensureTestModel('tiny-transformer'),
  session: { executionProviders: ['cpu'] },
  spec,
  beforeReady: async (targets) => {
    warmRequests = (await server.warmRequestPath('tiny', targets, 2)).requests;
  },
});
const server: ModelServer = new ModelServer({ replicas: [replica], maxBodyBytes: 8 * 1024 });
let url = '';

beforeAll(async () => {
  url = (await server.listen()).url;
});
afterAll(async () => {
  await server.close();
  await replica.close();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A plain HTTP/1.1 client on one keep-alive connection (what v2 clients and the load balancer use). */
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
afterAll(() => agent.destroy());
function call(method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${path}`,
      { method, agent, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
const json = (a: Answer) => JSON.parse(a.body.toString('utf8')) as Record<string, unknown>;

/** A v2 client: JSON infer, and binary infer (request and response) per the binary tensor data extension. */
const v2 = {
  inferJson: (model: string, payload: unknown) =>
    call('POST', `/v2/models/${model}/infer`, Buffer.from(JSON.stringify(payload)), {
      'content-type': 'application/json',
    }),
  async inferBinary(
    model: string,
    inputs: Array<{ name: string; shape: number[]; datatype: string; data: ArrayBufferView }>,
    outputs: Array<{ name: string; binary: boolean }>,
  ) {
    const head = Buffer.from(
      JSON.stringify({
        id: 'bin-1',
        inputs: inputs.map((i) => ({
          name: i.name,
          shape: i.shape,
          datatype: i.datatype,
          parameters: { binary_data_size: i.data.byteLength },
        })),
        outputs: outputs.map((o) => ({ name: o.name, parameters: { binary_data: o.binary } })),
      }),
    );
    const body = Buffer.concat([
      head,
      ...inputs.map((i) => Buffer.from(i.data.buffer, i.data.byteOffset, i.data.byteLength)),
    ]);
    const a = await call('POST', `/v2/models/${model}/infer`, body, {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(head.length),
    });
    const headerLength = Number(a.headers['inference-header-content-length'] ?? a.body.length);
    const header = JSON.parse(a.body.subarray(0, headerLength).toString('utf8')) as {
      id?: string;
      outputs: Array<{
        name: string;
        datatype: string;
        shape: number[];
        data?: number[];
        parameters?: { binary_data_size: number };
      }>;
    };
    let offset = headerLength;
    const tensors = header.outputs.map((o) => {
      if (!o.parameters?.binary_data_size) return { ...o, values: o.data! };
      const bytes = a.body.subarray(offset, offset + o.parameters.binary_data_size);
      offset += o.parameters.binary_data_size;
      const copy = new Uint8Array(bytes); // aligned copy
      return { ...o, values: Array.from(new Float32Array(copy.buffer)) };
    });
    return { status: a.status, header, tensors, rest: a.body.length - offset };
  },
};

describe('Open Inference Protocol v2', () => {
  it('warms the request path over HTTP before ready; health, server and model metadata, model ready', async () => {
    expect((await call('GET', '/v2/health/live')).status).toBe(200);
    expect((await call('GET', '/v2/health/ready')).status).toBe(503);
    expect((await call('GET', '/v2/models/tiny/ready')).status).toBe(503);
    const status = await replica.start();
    expect(status.phase).toBe('ready');
    expect(warmRequests).toBe(2 * 3); // 2 rounds x (v1 JSON, v2 JSON, v2 binary) for the one target
    expect((await call('GET', '/v2/health/ready')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
    expect(json(await call('GET', '/v2/models/tiny/ready'))).toEqual({ name: 'tiny', ready: true });
    expect(json(await call('GET', '/v2'))).toMatchObject({ extensions: ['binary_tensor_data'] });
    const meta = json(await call('GET', '/v2/models/tiny'));
    expect(meta).toMatchObject({
      name: 'tiny',
      platform: 'onnxruntime_onnx',
      inputs: [{ name: 'input_ids', datatype: 'INT64', shape: [-1, -1] }],
      outputs: [{ name: 'last_hidden_state', datatype: 'FP32', shape: [-1, -1, 128] }],
    });
    expect((await call('GET', '/v2/models/tiny/versions/1')).status).toBe(200);
    // warm requests are not counted as served traffic
    expect((await call('GET', '/metrics')).body.toString()).not.toMatch(/warmpool_inference_requests_total\{/);
    expect((await call('GET', '/metrics')).body.toString()).toMatch(/^warmpool_request_body_buffered_bytes 0$/m);
  });

  it('infers with JSON tensors: id echoed, nested or flat data, outputs selected', async () => {
    const a = await v2.inferJson('tiny', {
      id: 'req-7',
      inputs: [{ name: 'input_ids', shape: [1, 3], datatype: 'INT64', data: [[1, 2, 3]] }],
      outputs: [{ name: 'last_hidden_state' }],
    });
    expect(a.status).toBe(200);
    const body = json(a) as {
      id: string;
      model_name: string;
      outputs: Array<{ name: string; datatype: string; shape: number[]; data: number[] }>;
    };
    expect(body.id).toBe('req-7');
    expect(body.model_name).toBe('tiny');
    expect(body.outputs).toHaveLength(1);
    expect(body.outputs[0]).toMatchObject({ name: 'last_hidden_state', datatype: 'FP32', shape: [1, 3, 128] });
    expect(body.outputs[0]!.data).toHaveLength(3 * 128);
    const flat = json(
      await v2.inferJson('tiny', {
        inputs: [{ name: 'input_ids', shape: [1, 3], datatype: 'INT64', data: [1, 2, 3] }],
      }),
    ) as typeof body;
    expect(flat.outputs[0]!.data).toEqual(body.outputs[0]!.data);
    expect(flat.id).toBeUndefined();
  });

  it('infers with the binary tensor data extension, binary and JSON outputs, the same numbers as JSON', async () => {
    const ids = BigInt64Array.from([5n, 6n, 7n, 8n]);
    const bin = await v2.inferBinary(
      'tiny',
      [{ name: 'input_ids', shape: [1, 4], datatype: 'INT64', data: ids }],
      [{ name: 'last_hidden_state', binary: true }],
    );
    expect(bin.status).toBe(200);
    expect(bin.header.id).toBe('bin-1');
    expect(bin.header.outputs[0]).toMatchObject({
      name: 'last_hidden_state',
      datatype: 'FP32',
      shape: [1, 4, 128],
      parameters: { binary_data_size: 4 * 128 * 4 },
    });
    expect(bin.rest).toBe(0);
    const viaJson = json(
      await v2.inferJson('tiny', {
        inputs: [{ name: 'input_ids', shape: [1, 4], datatype: 'INT64', data: [5, 6, 7, 8] }],
      }),
    ) as { outputs: Array<{ data: number[] }> };
    expect(bin.tensors[0]!.values).toEqual(viaJson.outputs[0]!.data);
    // binary input, JSON output
    const mixed = await v2.inferBinary(
      'tiny',
      [{ name: 'input_ids', shape: [1, 4], datatype: 'INT64', data: ids }],
      [{ name: 'last_hidden_state', binary: false }],
    );
    expect(mixed.status).toBe(200);
    expect(mixed.tensors[0]!.values).toEqual(viaJson.outputs[0]!.data);
  });

  it('answers bad v2 requests with 400 naming the input, never echoing data', async () => {
    const cases: Array<[unknown, string]> = [
      [{ inputs: [{ name: 'input_ids', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }, 'INT64'],
      [{ inputs: [{ name: 'ids', shape: [1, 3], datatype: 'INT64', data: [1, 2, 3] }] }, 'inputs[0].name'],
      [{ inputs: [{ name: 'input_ids', shape: [1, 3], datatype: 'INT64', data: [1, 2] }] }, '3 values'],
      [
        { inputs: [{ name: 'input_ids', shape: [1, 2], datatype: 'INT64', data: [1, 2.5] }] },
        'inputs[0] (input_ids).data[1]',
      ],
      [
        {
          inputs: [{ name: 'input_ids', shape: [1, 2], datatype: 'INT64', data: [1, 2] }],
          outputs: [{ name: 'nope' }],
        },
        'outputs[0].name',
      ],
      [{ inputs: [] }, 'input_ids'],
    ];
    for (const [payload, mention] of cases) {
      const a = await v2.inferJson('tiny', payload);
      expect(a.status, JSON.stringify(payload)).toBe(400);
      expect(String(json(a)['error']), JSON.stringify(payload)).toContain(mention);
    }
    const head = Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'input_ids', shape: [1, 4], datatype: 'INT64', parameters: { binary_data_size: 16 } }],
      }),
    );
    const short = await call('POST', '/v2/models/tiny/infer', Buffer.concat([head, Buffer.alloc(16)]), {
      'inference-header-content-length': String(head.length),
    });
    expect(short.status).toBe(400);
    expect(String(json(short)['error'])).toContain('binary_data_size');
  });

  it('answers 413 over the body limit and closes that connection, so the next request on the pool is answered at once', async () => {
    const big = Buffer.from(
      JSON.stringify({
        inputs: [
          { name: 'input_ids', shape: [1, 4000], datatype: 'INT64', data: Array.from({ length: 4000 }, () => 123456) },
        ],
      }),
    );
    expect(big.length).toBeGreaterThan(8 * 1024);
    const tooBig = await v2.inferJson('tiny', JSON.parse(big.toString()));
    expect(tooBig.status).toBe(413);
    expect(tooBig.headers['connection']).toBe('close');
    // the same keep-alive pool (one socket): the next request must not hang on the unread body
    const next = await Promise.race([
      v2.inferJson('tiny', { inputs: [{ name: 'input_ids', shape: [1, 2], datatype: 'INT64', data: [1, 2] }] }),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref()),
    ]);
    expect(next).not.toBe('hung');
    expect((next as Answer).status).toBe(200);
    // a body streamed without Content-Length over the limit: 413 as well
    const chunked = await new Promise<number>((resolve, reject) => {
      const req = request(
        `${url}/v1/models/tiny/infer`,
        { method: 'POST', agent, headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 4; i++) req.write(Buffer.alloc(4096, 0x20));
      req.end();
    });
    expect(chunked).toBe(413);
    const after = await Promise.race([
      call('GET', '/v2/health/live'),
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000).unref()),
    ]);
    expect(after).not.toBe('hung');
    expect((after as Answer).status).toBe(200);
  });
});
