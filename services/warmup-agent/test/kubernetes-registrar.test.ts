import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeKubeApiServer, RESOURCE_TYPES, type JsonObject } from '@warmpool/testing/kubernetes';
import { main } from '../src/main.js';
import { serveArgs } from './support/registrar-setup.js';
import { captureIo, waitFor, writeSpecs } from './helpers.js';

const NS = 'serving';
const dir = mkdtempSync(join(tmpdir(), 'warmpool-agent-k8s-'));
const specs = writeSpecs(dir);
const optCache = join(dir, 'opt');
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'warmpool-agent.js');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('warmpool-agent serve --registrar kubernetes against the fake API server', () => {
  let fake: FakeKubeApiServer;
  let pod: string;
  let kubeconfig: string;

  beforeEach(async () => {
    fake = await FakeKubeApiServer.start();
    fake.addDeployment({ namespace: NS, name: 'tiny', replicas: 1 });
    pod = String((fake.pods(NS)[0]!.metadata as JsonObject).name);
    kubeconfig = await fake.writeKubeconfig(join(dir, `kubeconfig-${pod}`));
  });
  afterEach(async () => {
    await fake.stop();
  });

  /** The agent's readiness-gate condition on its pod (written through pods/status). */
  const warm = (name = pod) => {
    const conds = ((fake.store.get(RESOURCE_TYPES.pods, NS, name).status as JsonObject).conditions ??
      []) as JsonObject[];
    return conds.find((c) => c.type === 'warmpool.io/warm');
  };
  // (an option is given once: the parser refuses a repeat, so extra's --register-retries replaces the default 1)
  const args = (extra: string[] = [], spec = specs.fast) => [
    ...serveArgs({ spec, optCache, registrar: 'kubernetes' }),
    ...(extra.includes('--register-retries') ? [] : ['--register-retries', '1']),
    '--register-retry-delay-ms',
    '1',
    ...extra,
  ];
  const downward = () => ({ POD_NAME: pod, POD_NAMESPACE: NS });

  it("warm: sets its pod's warmpool.io/warm condition True (pods/status, strategic merge); /readyz 200 only after; SIGTERM: condition Draining, then exit 0", async () => {
    fake.faults.delayNext(1, 400, { match: { method: 'PATCH' }, applyFirst: true });
    const io = captureIo();
    const done = main(args(['--kubeconfig', kubeconfig]), io, downward());
    // warm, but the label patch is still in flight: not ready yet
    await waitFor('warmup-finished', () => io.events().find((e) => e['event'] === 'warmup-finished'));
    const held = await fetch(`${(io.events().find((e) => e['event'] === 'listening') as { url: string }).url}/readyz`);
    expect(held.status).toBe(503);
    expect(((await held.json()) as { reason: string }).reason).toContain('warm; registering with kubernetes');
    await waitFor('serving', () => io.events().find((e) => e['event'] === 'serving'));
    expect(warm()).toMatchObject({
      status: 'True',
      reason: 'WarmupConverged',
      message: 'warm on cpu',
      lastTransitionTime: expect.any(String),
    });
    const patch = fake.requestsTo('PATCH', `/namespaces/${NS}/pods/${pod}`);
    expect(patch.map((r) => r.path)).toEqual([`/api/v1/namespaces/${NS}/pods/${pod}/status`]);
    expect(patch[0]!.contentType).toBe('application/strategic-merge-patch+json');
    const { url, replicaId } = io.events().find((e) => e['event'] === 'listening') as {
      url: string;
      replicaId: string;
    };
    expect(replicaId).toBe(pod);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    io.signal('SIGTERM');
    expect(await done).toBe(0);
    expect(warm()).toMatchObject({ status: 'False', reason: 'Draining' });
    const order = io.events().map((e) => e['event']);
    expect(order.indexOf('deregistered')).toBeGreaterThan(order.indexOf('shutting-down'));
  }, 30_000);

  it("a failing model file: the pod's warm condition is False with the reason, exit 2 (bad input)", async () => {
    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, 'definitely not onnx');
    const io = captureIo();
    const code = await main(
      [
        'serve',
        '--model',
        corrupt,
        '--providers',
        'cpu',
        '--no-opt-cache',
        '--registrar',
        'kubernetes',
        '--kubeconfig',
        kubeconfig,
      ],
      io,
      downward(),
    );
    expect(code).toBe(2);
    expect(warm()).toMatchObject({
      status: 'False',
      reason: 'WarmupFailed',
      message: expect.stringMatching(/corrupt\.onnx/),
    });
    expect(io.errText()).toMatch(/E_MODEL_CORRUPT/);
  });

  it('its pod not found: E_K8S_NOT_FOUND naming the pod, exit 3; with --on-failure stay /readyz stays 503 with the reason', async () => {
    const io = captureIo();
    const done = main(args(['--kubeconfig', kubeconfig, '--pod', 'tiny-gone', '--on-failure', 'stay']), io, {
      POD_NAMESPACE: NS,
    });
    const failed = await waitFor('registration-failed', () =>
      io.events().find((e) => e['event'] === 'registration-failed'),
    );
    expect(failed).toMatchObject({ registrar: 'kubernetes', stage: 'register', error: 'E_K8S_NOT_FOUND' });
    expect(String(failed['reason'])).toContain(`Pod ${NS}/tiny-gone`);
    await waitFor('staying-unready', () => io.events().find((e) => e['event'] === 'staying-unready'));
    const { url } = io.events().find((e) => e['event'] === 'listening') as { url: string };
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reason: string }).reason).toContain(`Pod ${NS}/tiny-gone`);
    expect(
      (
        await fetch(`${url}/v1/models/tiny/infer`, {
          method: 'POST',
          body: JSON.stringify({ inputs: { input_ids: { dims: [1, 2], data: [1, 2] } } }),
        })
      ).status,
    ).toBe(503);
    io.signal('SIGTERM');
    expect(await done).toBe(3);
    expect(io.errText()).toMatch(/E_K8S_NOT_FOUND[\s\S]*Pod serving\/tiny-gone/);
    expect(io.events().map((e) => e['event'])).not.toContain('deregistered');
  });

  it('a 503 on the status patch is retried as configured (--register-retries)', async () => {
    fake.faults.failNext(1, 503, { match: { method: 'PATCH' } });
    const io = captureIo();
    const done = main(args(['--kubeconfig', kubeconfig]), io, downward());
    await waitFor('serving', () => io.events().find((e) => e['event'] === 'serving'));
    expect(fake.requestsTo('PATCH', `/pods/${pod}`).map((r) => r.status)).toEqual([503, 200]);
    io.signal('SIGTERM');
    expect(await done).toBe(0);
    fake.faults.failNext(1, 503, { match: { method: 'PATCH' } });
    const io2 = captureIo();
    expect(await main(args(['--kubeconfig', kubeconfig, '--register-retries', '0']), io2, downward())).toBe(3);
    expect(io2.errText()).toMatch(/E_K8S_SERVER/);
  });

  it('403 on the patch: E_K8S_FORBIDDEN, exit 3 at once (default --on-failure exit), pod not marked warm', async () => {
    fake.faults.failNext(1, 403, {
      match: { method: 'PATCH' },
      message: 'pods "x" is forbidden: User cannot patch resource "pods"',
    });
    const io = captureIo();
    expect(await main(args(['--kubeconfig', kubeconfig]), io, downward())).toBe(3);
    expect(io.errText()).toMatch(/E_K8S_FORBIDDEN[\s\S]*forbidden/);
    expect(warm()).toBeUndefined();
  });

  it('missing pod name/namespace and a bad kubeconfig are named', async () => {
    const io = captureIo();
    expect(await main(args(['--kubeconfig', kubeconfig]), io, {})).toBe(2);
    expect(io.errText()).toMatch(/--pod[\s\S]*POD_NAME[\s\S]*--namespace[\s\S]*POD_NAMESPACE/);
    const io2 = captureIo();
    expect(await main(args(['--kubeconfig', join(dir, 'no-such-kubeconfig')]), io2, downward())).toBe(3);
    expect(io2.errText()).toMatch(/E_K8S_CONFIG[\s\S]*no-such-kubeconfig/);
    const io3 = captureIo();
    expect(await main(args([]), io3, { ...downward(), KUBERNETES_SERVICE_HOST: '', KUBECONFIG: '' })).toBe(3);
    expect(io3.errText()).toMatch(/E_K8S_CONFIG[\s\S]*in-cluster/);
  });

  it('the real bin as a child process: KUBECONFIG + downward-API env, marked warm, SIGTERM → draining, exit 0', async () => {
    if (!existsSync(join(dirname(bin), '..', 'dist', 'main.js')))
      throw new Error('build first: npx tsc -b services/warmup-agent');
    const child = spawn(process.execPath, [bin, ...args()], {
      env: { ...process.env, KUBECONFIG: kubeconfig, POD_NAME: pod, POD_NAMESPACE: NS },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor('"serving" from the child', () => out.includes('"event":"serving"'), 20_000).catch((e: unknown) => {
        throw new Error(`${String(e)}\nstdout:\n${out}\nstderr:\n${err}`);
      });
      expect(warm()).toMatchObject({ status: 'True', reason: 'WarmupConverged' });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(warm()).toMatchObject({ status: 'False', reason: 'Draining' });
      expect(out).toMatch(/"event":"deregistered"[\s\S]*"event":"stopped"/);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  }, 30_000);
});
