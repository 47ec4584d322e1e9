import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTestModel } from '../src/models/test-model-catalog.js';
import { ModelReplica } from '../src/replica/model-replica.js';
import { ModelServer } from '../src/server/model-server.js';
import { WARMUP_SPEC_DEFAULTS, type WarmupSpec } from '../src/warmup/warmup-spec.js';

// Regression tests for issue 16, findings 1 (serving half) and 8 (agent side). Each fails on the code before the
// fix: inference ran on the event loop (health waited behind it), sizes were unbounded, and runtime or encoding
// errors answered 500.

const spec: WarmupSpec = {
  ...WARMUP_SPEC_DEFAULTS,
  shapes: [{ batch: 1, seq: 8 }],
  windowSize: 3,
  tolerance: 0.5,
  keepWarmIdleMs: 0,
  concurrencyRounds: 1,
};
const modelPath = ensureTestModel('tiny-transformer');

/** No input limit: lets a long inference run, to show health does not wait behind it. */
const unlimited = new ModelReplica({
  name: 'tiny',
  modelPath,
  session: { executionProviders: ['cpu'] },
  spec,
  inputLimitFactor: 0,
});
const unlimitedServer = new ModelServer({ replicas: [unlimited], maxOutputBytes: 64 * 1024 });
/** The same replica behind a 100 ms request deadline. */
const hurriedServer = new ModelServer({ replicas: [unlimited], requestTimeoutMs: 100 });
let hurriedUrl = '';
/** Default input limit: 4 x the largest warmed tensor (1x8 -> 32 ids). */
const limited = new ModelReplica({ name: 'tiny', modelPath, session: { executionProviders: ['cpu'] }, spec });
const limitedServer = new ModelServer({ replicas: [limited] });
/** Bodies being read may hold 100 KiB together. */
const budgetServer = new ModelServer({
  replicas: [limited],
  maxBodyBytes: 64 * 1024,
  maxBufferedBodyBytes: 100 * 1024,
});
let budgetUrl = '';
let freeUrl = '';
let url = '';

beforeAll(async () => {
  freeUrl = (await unlimitedServer.listen()).url;
  hurriedUrl = (await hurriedServer.listen()).url;
  budgetUrl = (await budgetServer.listen()).url;
  url = (await limitedServer.listen()).url;
  const [a, b] = await Promise.all([unlimited.start(), limited.start()]);
  expect(a.phase).toBe('ready');
  expect(b.phase).toBe('ready');
}, 120_000);
afterAll(async () => {
  await Promise.all([unlimitedServer.close(), limitedServer.close(), hurriedServer.close(), budgetServer.close()]);
  await Promise.all([unlimited.close(), limited.close()]);
});

const ids = (n: number, value = 3) => Array.from({ length: n }, (_, i) => (i * 7 + value) % 1000);
const post = (base: string, path: string, body: string) =>
  fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
const v1 = (base: string, dims: number[], data: number[]) =>
  post(base, '/v1/models/tiny/infer', JSON.stringify({ inputs: { input_ids: { dims, data } } }));

describe('serving isolation (issue 16, finding 1)', () => {
  it('answers /livez and /readyz while a long inference runs (inference is off the event loop)', async () => {
    const order: string[] = [];
    // [1, 6000] runs about a second or more on one CPU thread (attention is quadratic in seq)
    const big = v1(freeUrl, [1, 6000], ids(6000)).then(async (r) => {
      order.push('inference');
      return r;
    });
    // wait (bounded) until the inference holds its slot, then ask for health
    for (let i = 0; i < 3000 && unlimited.limiter.running === 0 && order.length === 0; i++)
      await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    const [live, ready] = await Promise.all([fetch(`${freeUrl}/livez`), fetch(`${freeUrl}/readyz`)]);
    const healthMs = performance.now() - t0;
    order.push('health');
    expect(live.status).toBe(200);
    expect(ready.status).toBe(200);
    const res = await big;
    expect(order).toEqual(['health', 'inference']);
    // the big answer exceeds this server's 64 KiB output limit: refused, not serialized
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('E_OUTPUT_TOO_LARGE');
    expect(body.message).toContain('last_hidden_state [1, 6000, 128]');
    console.log(`health answered in ${healthMs.toFixed(1)} ms while a [1, 6000] inference ran`);
  }, 120_000);

  it('refuses an input larger than the warmed sizes allow (400 naming the input) instead of running it', async () => {
    const res = await v1(url, [1, 2000], ids(2000));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('E_INPUT_TOO_LARGE');
    expect(body.message).toContain('input input_ids [1, 2000] has 2000 elements');
    expect(body.message).toContain('at most 32');
    // within the limit it runs
    expect((await v1(url, [1, 32], ids(32))).status).toBe(200);
  });

  it('answers 504 at the request deadline, running or queued, and serves again once the slot is free', async () => {
    const runningP = v1(hurriedUrl, [1, 6000], ids(6000));
    for (let i = 0; i < 3000 && unlimited.limiter.running === 0; i++) await new Promise((r) => setTimeout(r, 5));
    const queued = await v1(hurriedUrl, [1, 4], ids(4)); // behind the running one in the queue
    const running = await runningP;
    expect(running.status).toBe(504);
    expect(queued.status).toBe(504); // dropped from the queue at its deadline, never run
    expect(((await queued.json()) as { error: string }).error).toBe('E_DEADLINE');
    await unlimited.limiter.idle();
    expect((await v1(freeUrl, [1, 4], ids(4))).status).toBe(200);
  }, 120_000);

  it('caps the body bytes held by all requests being read: 503 with Retry-After past it, then serves again', async () => {
    const json = JSON.stringify({ inputs: { input_ids: { dims: [1, 2], data: [1, 2] } } });
    const open = () => {
      let answered!: (a: { status: number; retryAfter: string | undefined; body: string }) => void;
      const answer = new Promise<{ status: number; retryAfter: string | undefined; body: string }>(
        (r) => (answered = r),
      );
      const req = request(
        `${budgetUrl}/v1/models/tiny/infer`,
        { method: 'POST', agent: false, headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            answered({
              status: res.statusCode ?? 0,
              retryAfter: res.headers['retry-after'],
              body: Buffer.concat(chunks).toString(),
            }),
          );
        },
      );
      req.on('error', () => undefined); // the refused one may be reset while it still sends
      req.write(Buffer.alloc(60 * 1024, 0x20)); // JSON may start with whitespace: the body stays valid
      return { answer, finish: () => req.end(json) };
    };
    const a = open();
    const b = open();
    const first = await Promise.race([
      a.answer.then((x) => ({ x, other: b })),
      b.answer.then((x) => ({ x, other: a })),
    ]);
    expect(first.x.status).toBe(503);
    expect(first.x.retryAfter).toBe('1');
    expect(first.x.body).toContain('E_OVERLOADED');
    first.other.finish();
    expect((await first.other.answer).status).toBe(200);
    expect((await v1(budgetUrl, [1, 4], ids(4))).status).toBe(200);
  });

  it('refuses an answer over the output limit (400) rather than building it', async () => {
    const res = await v1(freeUrl, [1, 200], ids(200)); // 200 x 128 float32 = 100 KiB > 64 KiB
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('E_OUTPUT_TOO_LARGE');
    expect((await v1(freeUrl, [1, 16], ids(16))).status).toBe(200);
  });
});

describe('400 where 400 belongs (issue 16, finding 8)', () => {
  it('a malformed percent-encoding in the model name is 400, an unknown model 404', async () => {
    for (const path of ['/v1/models/%ZZ/infer', '/v2/models/%ZZ/infer']) {
      const res = await post(url, path, '{}');
      expect(res.status, path).toBe(400);
      expect(JSON.stringify(await res.json())).toContain('E_BAD_PATH');
    }
    expect((await fetch(`${url}/v2/models/%ZZ`)).status).toBe(400);
    for (const path of ['/v1/models/nope/infer', '/v2/models/nope/infer']) {
      const res = await post(url, path, '{}');
      expect(res.status, path).toBe(404);
    }
    expect((await fetch(`${url}/v2/models/nope`)).status).toBe(404);
  });

  it('token ids outside the vocabulary are 400 naming the input, without the runtime log prefix', async () => {
    const res = await v1(url, [1, 2], [5000, 1]);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; message: string };
    expect(body.error).toBe('E_INFERENCE_INPUT');
    expect(body.message).toContain('input_ids [1, 2] int64');
    expect(body.message).toContain('out of data bounds');
    expect(body.message).not.toContain('\u001b[');
    const v2 = await post(
      url,
      '/v2/models/tiny/infer',
      JSON.stringify({ inputs: [{ name: 'input_ids', shape: [1, 2], datatype: 'INT64', data: [1, -9999] }] }),
    );
    expect(v2.status).toBe(400);
    expect(((await v2.json()) as { error: string }).error).toContain('input_ids');
    // the replica still serves
    expect((await v1(url, [1, 4], [1, 2, 3, 4])).status).toBe(200);
  });

  it('JSON nested 100k deep is 400, not a stack overflow', async () => {
    const deep = `${'['.repeat(100_000)}1${']'.repeat(100_000)}`;
    // On the server without input limits: with them, bodies this large are refused by their size before parsing.
    const r1 = await post(
      freeUrl,
      '/v1/models/tiny/infer',
      `{"inputs":{"input_ids":{"dims":[1,1],"data":[1]},"extra":${deep}}}`,
    );
    expect(r1.status).toBe(400);
    const r2 = await post(freeUrl, '/v1/models/tiny/infer', `{"inputs":{"input_ids":{"dims":${deep},"data":[1]}}}`);
    expect(r2.status).toBe(400);
    const r3 = await post(
      freeUrl,
      '/v2/models/tiny/infer',
      `{"inputs":[{"name":"input_ids","shape":[1,1],"datatype":"INT64","data":${deep}}]}`,
    );
    expect(r3.status).toBe(400);
    expect(((await r3.json()) as { error: string }).error).toContain('nested deeper');
    expect((await fetch(`${freeUrl}/livez`)).status).toBe(200);
  });

  it('a 400 never echoes the tensor data', async () => {
    const data = ids(30_000);
    const wrongName = await post(
      freeUrl,
      '/v1/models/tiny/infer',
      JSON.stringify({ inputs: { input: { dims: [1, 30_000], data } } }),
    );
    expect(wrongName.status).toBe(400);
    const text = await wrongName.text();
    expect(text.length).toBeLessThan(4096);
    expect(text).toContain('inputs.input');
    const wrongDims = await post(
      freeUrl,
      '/v1/models/tiny/infer',
      JSON.stringify({ inputs: { input_ids: { dims: data, data } } }),
    );
    expect(wrongDims.status).toBe(400);
    expect((await wrongDims.text()).length).toBeLessThan(4096);
  });
});
