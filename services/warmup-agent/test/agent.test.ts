import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadBalancerServer, LocalRegistrar } from '@warmpool/load-balancer';
import { WARMUP_SPEC_DEFAULTS, ensureTestModel, SESSION_CONFIG_DEFAULTS } from '@warmpool/warmup';
import { main, type Io } from '../src/main.js';
import { modelNameFromFile } from '../src/model-source.js';
import { ReplicaAgent } from '../src/replica-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-agent-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const specFile = join(dir, 'spec.json');
writeFileSync(
  specFile,
  JSON.stringify({
    shapes: [
      { batch: 1, seq: 8 },
      { batch: 2, seq: 8 },
    ],
    windowSize: 3,
    tolerance: 0.5,
    keepWarmIdleS: 0,
    budgetS: 20,
  }),
);

function captureIo(signal?: Promise<string>): Io & { outText: () => string; errText: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    untilSignal: () => signal ?? new Promise(() => {}),
    outText: () => out.join('\n'),
    errText: () => err.join('\n'),
  };
}

const session = {
  ...SESSION_CONFIG_DEFAULTS,
  executionProviders: ['cpu'] as const,
  optimizedModelCacheDir: join(dir, 'opt'),
};

describe('warmpool-agent warm', () => {
  it('prints the measurement JSON for a bundled model', async () => {
    const io = captureIo();
    const code = await main(
      [
        'warm',
        '--model',
        'tiny-transformer',
        '--spec',
        specFile,
        '--providers',
        'cpu',
        '--opt-cache',
        join(dir, 'opt'),
        '--first-requests',
        '3',
        '--json',
      ],
      io,
    );
    expect(io.errText()).toBe('');
    expect(code).toBe(0);
    const m = JSON.parse(io.outText()) as Record<string, unknown> & { shapes: Array<Record<string, unknown>> };
    for (const key of [
      'executionProvider',
      'loadMs',
      'warmupMs',
      'converged',
      'coldFirstMs',
      'steadyP50Ms',
      'firstRequestsP50Ms',
      'firstRequestsMaxMs',
    ]) {
      expect(m, key).toHaveProperty(key);
    }
    expect(m['executionProvider']).toBe('cpu');
    expect(m['converged']).toBe(true);
    expect(m.shapes.map((s) => s['shape'])).toEqual(['1x8', '2x8']);
    for (const s of m.shapes) {
      expect(s['firstRequestsMs']).toHaveLength(3);
      expect(s['coldFirstMs']).toBeGreaterThan(0);
      expect(s['steadyP50Ms']).toBeGreaterThan(0);
    }
  });

  it('names a missing model, a bad spec key and a bad option, with exit code 2', async () => {
    const io1 = captureIo();
    expect(await main(['warm', '--model', join(dir, 'nope.onnx'), '--json'], io1)).toBe(2);
    expect(JSON.parse(io1.errText())).toMatchObject({
      error: 'E_MODEL_MISSING',
      message: expect.stringContaining('nope.onnx'),
    });

    const bad = join(dir, 'bad-spec.json');
    writeFileSync(bad, JSON.stringify({ shapes: [{ batch: 1, seq: 8 }], onTimeout: 'whatever' }));
    const io2 = captureIo();
    expect(await main(['warm', '--model', 'tiny-transformer', '--spec', bad], io2)).toBe(2);
    expect(io2.errText()).toMatch(
      /bad-spec\.json[\s\S]*onTimeout: got "whatever", allowed: one of register-anyway, fail/,
    );

    const io3 = captureIo();
    expect(await main(['warm', '--model', 'tiny-transformer', '--providers', 'tpu', '--frobnicate', '1'], io3)).toBe(2);
    expect(io3.errText()).toMatch(/--frobnicate[\s\S]*--providers/);
    expect(io3.errText()).not.toMatch(/arguments: got "1"/);

    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, 'not a model');
    const io4 = captureIo();
    expect(await main(['warm', '--model', corrupt, '--providers', 'cpu', '--no-opt-cache'], io4)).toBe(2); // bad input, as the README says
    expect(io4.errText()).toMatch(/E_MODEL_CORRUPT[\s\S]*corrupt\.onnx/);
    const io4s = captureIo();
    expect(await main(['serve', '--model', corrupt, '--providers', 'cpu', '--no-opt-cache'], io4s)).toBe(2);
    expect(io4s.errText()).toMatch(/E_MODEL_CORRUPT[\s\S]*corrupt\.onnx/);

    const tooBig = join(dir, 'huge-seq.json');
    writeFileSync(tooBig, JSON.stringify({ shapes: [{ batch: 1, seq: 8 }], memoryLimitBytes: 1024 }));
    const io5 = captureIo();
    expect(
      await main(
        ['warm', '--model', 'tiny-transformer', '--spec', tooBig, '--providers', 'cpu', '--no-opt-cache', '--json'],
        io5,
      ),
    ).toBe(1);
    expect(JSON.parse(io5.outText())).toMatchObject({ ready: false, reason: expect.stringContaining('peak RSS') });
  }, 30_000);

  it('derives URL-safe model names from files', () => {
    expect(modelNameFromFile('/x/My_Model.V2.onnx')).toBe('my_model.v2');
    expect(modelNameFromFile('/x/--.onnx')).toBe('model');
  });
});

describe('replica agent with the real local load balancer', () => {
  const spec = {
    ...WARMUP_SPEC_DEFAULTS,
    shapes: [{ batch: 1, seq: 8 }],
    windowSize: 3,
    tolerance: 0.5,
    keepWarmIdleMs: 0,
  };

  it('registers only once warm, serves through the load balancer, deregisters on shutdown', async () => {
    const lb = new LoadBalancerServer({ token: 't0k', pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    const events: Array<Record<string, unknown>> = [];
    const agent = new ReplicaAgent({
      name: 'tiny',
      modelPath: ensureTestModel('tiny-transformer'),
      session,
      spec,
      host: '127.0.0.1',
      port: 0,
      maxConcurrency: 1,
      maxQueue: 8,
      registrar: new LocalRegistrar({ lbUrl, token: 't0k', retries: 0 }),
      replicaId: 'tiny-1',
      log: (e) => events.push(e),
    });
    try {
      const outcome = await agent.start();
      expect(outcome).toMatchObject({
        ok: true,
        registration: { replicaId: 'tiny-1', model: 'tiny', executionProvider: 'cpu' },
      });
      expect(events.map((e) => e['event'])).toEqual([
        'listening',
        'request-path-warmed',
        'warmup-finished',
        'registered',
      ]);
      const res = await fetch(`${lbUrl}/v1/models/tiny/infer`, {
        method: 'POST',
        body: JSON.stringify({ inputs: { input_ids: { dims: [1, 4], data: [1, 2, 3, 4] } } }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-warmpool-replica')).toBe('tiny-1');
      expect(
        ((await res.json()) as { outputs: Record<string, { dims: number[] }> }).outputs['last_hidden_state']!.dims,
      ).toEqual([1, 4, 128]);
      await agent.shutdown();
      expect(lb.pool.get('tiny-1')).toBeUndefined();
      expect(events.map((e) => e['event'])).toContain('deregistered');
    } finally {
      await agent.shutdown().catch(() => {});
      await lb.close();
    }
  });

  it('an unreachable load balancer: a clear error, and never registered', async () => {
    const lb = new LoadBalancerServer({ token: 't' });
    const { url: deadUrl } = await lb.listen();
    await lb.close();
    const agent = new ReplicaAgent({
      name: 'tiny',
      modelPath: ensureTestModel('tiny-transformer'),
      session,
      spec,
      host: '127.0.0.1',
      port: 0,
      maxConcurrency: 1,
      maxQueue: 8,
      registrar: new LocalRegistrar({ lbUrl: deadUrl, token: 't', retries: 1, retryDelayMs: 5 }),
      log: () => {},
    });
    try {
      const outcome = await agent.start();
      expect(outcome).toMatchObject({ ok: false, code: 'E_LB_UNREACHABLE' });
      expect((outcome as { reason: string }).reason).toContain(deadUrl);
    } finally {
      await agent.shutdown();
    }
  });

  it('main serve: warms, registers with --lb and WARMPOOL_LB_TOKEN, and stops cleanly on a signal', async () => {
    const lb = new LoadBalancerServer({ token: 'sekret', pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    let stop!: (s: string) => void;
    const io = captureIo(new Promise<string>((r) => (stop = r)));
    try {
      const done = main(
        [
          'serve',
          '--model',
          'tiny-transformer',
          '--name',
          'tiny',
          '--spec',
          specFile,
          '--providers',
          'cpu',
          '--opt-cache',
          join(dir, 'opt'),
          '--lb',
          lbUrl,
          '--replica-id',
          'r-9',
        ],
        io,
        { WARMPOOL_LB_TOKEN: 'sekret' },
      );
      const deadline = Date.now() + 15_000;
      // registered at the load balancer AND the agent's start() has returned (it logs `serving`): a signal before
      // that is the "stopped during start" path, tested elsewhere
      while (!(lb.pool.get('r-9') && io.outText().includes('"event":"serving"')) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(lb.pool.get('r-9')?.ready).toBe(true);
      // the request path was warmed over the agent's own HTTP endpoint before it registered
      expect(io.outText()).toMatch(/"event":"request-path-warmed","requests":\d+[\s\S]*"event":"registered"/);
      stop('SIGTERM');
      expect(await done).toBe(0);
      expect(lb.pool.get('r-9')).toBeUndefined();
      expect(io.outText()).toMatch(/"event":"serving"[\s\S]*"event":"shutting-down"[\s\S]*"event":"stopped"/);
    } finally {
      await lb.close();
    }
  });
});

describe('warmpool-agent lb', () => {
  it('runs the load balancer until a signal, and refuses to start without a token', async () => {
    let stop!: (s: string) => void;
    const io = captureIo(new Promise<string>((r) => (stop = r)));
    const done = main(['lb', '--port', '0', '--slow-start-s', '5'], io, { WARMPOOL_LB_TOKEN: 'x' });
    const deadline = Date.now() + 5_000;
    while (!io.outText().includes('lb-listening') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const { url } = JSON.parse(io.outText().split('\n')[0]!) as { url: string };
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    expect((await fetch(`${url}/replicas`, { method: 'POST', body: '{}' })).status).toBe(401);
    stop('SIGINT');
    expect(await done).toBe(0);

    const io2 = captureIo();
    expect(await main(['lb', '--port', '0'], io2, {})).toBe(2);
    expect(io2.errText()).toContain('WARMPOOL_LB_TOKEN');
    const io3 = captureIo();
    expect(await main(['lb', '--port', '0', '--token', 'x'], io3, {})).toBe(2);
    expect(io3.errText()).toMatch(/--token[\s\S]*never on the command line|no token on the command line/);
  });
});
