// Hostile clients against the model server (assignment H11, beyond issue 16's nine findings). Each test failed on the
// code before its fix: a trickled body was read until Node's 300 s request timeout (the request deadline only started
// counting once the body was in), a body that was not JSON got V8's message back, which quotes the request text
// around the error (tensor data), and a JSON body far over the input limits was parsed whole on the event loop
// before the limit refused it (4 x 7.6 MB bodies held /livez 5 s at load 8; 0.27 s after the fix). Loopback only; every wait bounded by an event.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureTestModel } from '../src/models/test-model-catalog.js';
import { ModelReplica } from '../src/replica/model-replica.js';
import { ModelServer } from '../src/server/model-server.js';
import { WARMUP_SPEC_DEFAULTS, type WarmupSpec } from '../src/warmup/warmup-spec.js';

const spec: WarmupSpec = {
  ...WARMUP_SPEC_DEFAULTS,
  shapes: [{ batch: 1, seq: 8 }],
  windowSize: 3,
  tolerance: 0.5,
  keepWarmIdleMs: 0,
  concurrencyRounds: 1,
};
const replica = new ModelReplica({
  name: 'tiny',
  modelPath: ensureTestModel('tiny-transformer'),
  session: { executionProviders: ['cpu'] },
  spec,
});
/** Bodies are due within 500 ms of their headers (the request deadline). */
const server = new ModelServer({ replicas: [replica], requestTimeoutMs: 500 });
let url = '';
let port = 0;

beforeAll(async () => {
  ({ url, port } = await server.listen());
  expect((await replica.start()).phase).toBe('ready');
}, 120_000);
afterAll(async () => {
  await server.close();
  await replica.close();
});

/** Sends `text` on a raw connection; resolves with everything received once the server closes it. */
function raw(text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
    });
    s.on('error', () => undefined);
    s.once('close', () => resolve(got));
    s.write(text);
  });
}

describe('hostile clients of the model server', { timeout: 60_000 }, () => {
  it('a body trickled past the request deadline is 408 naming it, and the connection is closed', async () => {
    for (const path of ['/v2/models/tiny/infer', '/v1/models/tiny/infer']) {
      const answer = await raw(`POST ${path} HTTP/1.1\r\nHost: r\r\nContent-Length: 1000\r\n\r\n{"inputs"`);
      expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      expect(answer).toContain('E_BODY_TIMEOUT');
      expect(answer).toContain('not complete within 500 ms (9 of 1000 bytes arrived)');
    }
    expect((await server.metrics.render()).match(/^warmpool_request_body_buffered_bytes (\S+)/m)?.[1]).toBe('0');
    expect((await fetch(`${url}/livez`)).status).toBe(200);
  });

  it('a body that is not JSON gets a 400 that does not quote the request text', async () => {
    const body = '{"inputs":[{"name":"input_ids","shape":[1,2],"datatype":"INT64","data":[NaN,31337]}]}';
    const res = await fetch(`${url}/v2/models/tiny/infer`, { method: 'POST', body });
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { code: string; error: string };
    expect(answer.code).toBe('E_BAD_JSON');
    expect(answer.error).toBe("request body is not JSON: Unexpected token 'N'");
    expect(JSON.stringify(answer)).not.toContain('31337');
  });

  it('a JSON body far over what the input limits allow is refused by its size, never parsed', async () => {
    const n = 250_000; // the limit is 32 elements (4 x the warmed [1, 8])
    const body = JSON.stringify({
      inputs: [{ name: 'input_ids', shape: [1, n], datatype: 'INT64', data: new Array(n).fill(1) }],
    });
    const parse = vi.spyOn(JSON, 'parse');
    try {
      for (const [path, payload] of [
        ['/v2/models/tiny/infer', body],
        [
          '/v1/models/tiny/infer',
          JSON.stringify({ inputs: { input_ids: { dims: [1, n], data: new Array(n).fill(1) } } }),
        ],
      ] as const) {
        const res = await fetch(`${url}${path}`, { method: 'POST', body: payload });
        expect(res.status).toBe(400);
        const text = await res.text();
        expect(text).toContain('E_INPUT_TOO_LARGE');
        expect(text).toContain(`request JSON of ${payload.length} bytes is over the`);
      }
      expect(parse.mock.calls.filter(([t]) => typeof t === 'string' && t.length > 1_000_000)).toEqual([]);
    } finally {
      parse.mockRestore();
    }
    // A small body declaring a shape over the limit is refused from the shape, before its data is read.
    const declared = await fetch(`${url}/v2/models/tiny/infer`, {
      method: 'POST',
      body: JSON.stringify({ inputs: [{ name: 'input_ids', shape: [1, 100_000], datatype: 'INT64', data: [1] }] }),
    });
    expect(declared.status).toBe(400);
    expect(await declared.text()).toContain('[1, 100000] has 100000 elements; model tiny accepts at most 32');
  });
});
