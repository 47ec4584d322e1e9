import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAutoScaling } from '@warmpool/testing/aws';
import { main } from '../src/main.js';
import { awsRegistrarArgs, serveArgs, useFakeAwsCredentials } from './support/registrar-setup.js';
import { captureIo, startFakeImds, waitFor, writeSpecs, type FakeImds } from './helpers.js';

const GROUP = 'asg-tiny';
const HOOK = 'warmpool-warmup';
const dir = mkdtempSync(join(tmpdir(), 'warmpool-agent-aws-'));
const specs = writeSpecs(dir);
const optCache = join(dir, 'opt');
const bin = join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'warmpool-agent.js');

useFakeAwsCredentials();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('warmpool-agent serve --registrar aws against the Auto Scaling fake', () => {
  let fake: FakeAutoScaling;
  let imds: FakeImds;
  let instanceId: string;

  beforeEach(async () => {
    fake = await FakeAutoScaling.start();
    fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 2, desiredCapacity: 0 });
    fake.world.putLifecycleHook(GROUP, HOOK, {
      transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      heartbeatTimeoutS: 120,
      defaultResult: 'ABANDON',
    });
    fake.world.setDesiredCapacity(GROUP, 1, false);
    fake.world.advance();
    instanceId = fake.world.group(GROUP).instances[0]!.instanceId;
    imds = await startFakeImds(instanceId);
  });
  afterEach(async () => {
    await fake.stop();
    await imds.close();
  });

  const state = () => fake.world.instance(instanceId)?.lifecycleState;
  const args = (spec: string, extra: string[] = []) => [
    ...serveArgs({ spec, optCache, registrar: 'aws' }),
    ...awsRegistrarArgs({ group: GROUP, hook: HOOK, awsEndpoint: fake.endpoint, imdsUrl: imds.url }),
    ...extra,
  ];

  it('instance id and region from IMDSv2; heartbeats while warming; CONTINUE once warm; ready only after', async () => {
    const io = captureIo();
    const done = main(args(specs.slowRegister, ['--heartbeat-s', '0.05']), io, {});
    await waitFor('two heartbeats', () => fake.requestsOf('RecordLifecycleActionHeartbeat').length >= 2);
    const warmingUrl = (io.events().find((e) => e['event'] === 'listening') as { url: string }).url;
    const warming = await fetch(`${warmingUrl}/readyz`);
    expect(warming.status).toBe(503); // still warming: the instance is held in Pending:Wait
    expect(state()).toBe('Pending:Wait');
    await waitFor('serving', () => io.events().find((e) => e['event'] === 'serving'), 20_000).catch((e: unknown) => {
      throw new Error(`${String(e)}\n${io.outText()}\n${io.errText()}`);
    });
    expect(imds.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'PUT /latest/api/token',
      'GET /latest/meta-data/instance-id',
      'GET /latest/meta-data/placement/region',
      'GET /latest/meta-data/autoscaling/target-lifecycle-state',
    ]);
    expect(io.events().find((e) => e['event'] === 'target-lifecycle-state')).toMatchObject({ state: 'InService' });
    expect(io.events().find((e) => e['event'] === 'quick-pass')).toMatchObject({ targets: expect.any(Number) });
    expect(imds.requests[0]!.ttl).toMatch(/^\d+$/);
    expect(imds.requests[1]!.token).toBe('imds-token-1');
    const beats = fake.requestsOf('RecordLifecycleActionHeartbeat');
    const complete = fake.requestsOf('CompleteLifecycleAction');
    expect(beats.length).toBeGreaterThanOrEqual(3);
    expect(beats[0]!.params).toMatchObject({
      AutoScalingGroupName: GROUP,
      LifecycleHookName: HOOK,
      InstanceId: instanceId,
    });
    expect(complete).toHaveLength(1);
    expect(complete[0]!.params).toMatchObject({ InstanceId: instanceId, LifecycleActionResult: 'CONTINUE' });
    expect(Math.max(...beats.map((b) => b.atMs))).toBeLessThanOrEqual(complete[0]!.atMs);
    expect(state()).toBe('Pending:Proceed');
    const { url } = io.events().find((e) => e['event'] === 'listening') as { url: string };
    const ready = (await (await fetch(`${url}/readyz`)).json()) as { ready: boolean };
    expect(ready.ready).toBe(true);
    io.signal('SIGTERM');
    expect(await done).toBe(0);
    expect(fake.requestsOf('CompleteLifecycleAction')).toHaveLength(1); // deregister calls nothing on AWS
  }, 30_000);

  it('transient heartbeat failures are logged and the loop goes on; SIGTERM while warming registers nothing', async () => {
    fake.throttle(2, 'RecordLifecycleActionHeartbeat'); // the first heartbeat: throttled on both tries (--register-retries 1)
    const io = captureIo();
    const done = main(args(specs.slowRegister, ['--heartbeat-s', '0.05']), io, {});
    await waitFor(
      'a heartbeat after the throttled one',
      () => fake.requestsOf('RecordLifecycleActionHeartbeat').filter((r) => r.statusCode === 200).length >= 1,
    );
    expect(io.events().find((e) => e['event'] === 'heartbeat-failed')).toMatchObject({
      error: 'E_AWS_THROTTLED',
      transient: true,
    });
    io.signal('SIGTERM');
    expect(await done).toBe(0);
    expect(io.events().find((e) => e['event'] === 'not-serving')).toMatchObject({ stage: 'signal' });
    expect(fake.requestsOf('CompleteLifecycleAction')).toHaveLength(0);
    expect(state()).toBe('Pending:Wait');
  });

  it('a failing model file: ABANDON, exit 2 (bad input)', async () => {
    const corrupt = join(dir, 'corrupt.onnx');
    writeFileSync(corrupt, 'not an onnx model');
    const io = captureIo();
    const code = await main(
      [
        'serve',
        '--model',
        corrupt,
        ...args(specs.fast).slice(3),
        '--instance-id',
        instanceId,
        '--region',
        'us-east-1',
        '--no-opt-cache',
      ].filter((a, i, all) => !(a === '--opt-cache' || all[i - 1] === '--opt-cache')),
      io,
      {},
    );
    expect(code).toBe(2);
    expect(io.errText()).toMatch(/E_MODEL_CORRUPT[\s\S]*corrupt\.onnx/);
    expect(fake.requestsOf('CompleteLifecycleAction').map((r) => r.params.LifecycleActionResult)).toEqual(['ABANDON']);
    expect(state()).toBe('Terminating');
    expect(imds.requests).toHaveLength(0); // --instance-id and --region given
  });

  it('a warm-up that does not converge under the fail policy: ABANDON, exit 1, never ready', async () => {
    const io = captureIo();
    const code = await main(args(specs.slowFail, ['--heartbeat-s', '0.2']), io, {});
    expect(code).toBe(1);
    expect(fake.requestsOf('CompleteLifecycleAction').map((r) => r.params.LifecycleActionResult)).toEqual(['ABANDON']);
    expect(io.events().find((e) => e['event'] === 'warmup-finished')).toMatchObject({
      phase: 'not-ready',
      converged: false,
    });
    expect(state()).toBe('Terminating');
  });

  it('the hook deleted mid-warm-up: a clear error naming hook and group, exit 3, no CONTINUE', async () => {
    const io = captureIo();
    const done = main(args(specs.slowRegister, ['--heartbeat-s', '0.05', '--on-failure', 'stay']), io, {});
    await waitFor('a first heartbeat', () => fake.requestsOf('RecordLifecycleActionHeartbeat').length >= 1);
    fake.world.deleteLifecycleHook(GROUP, HOOK);
    const failed = await waitFor('registration-failed', () =>
      io.events().find((e) => e['event'] === 'registration-failed'),
    );
    expect(failed).toMatchObject({
      registrar: 'aws-lifecycle',
      stage: 'heartbeat',
      error: 'E_AWS_LIFECYCLE_HOOK_GONE',
    });
    expect(String(failed['reason'])).toContain(
      `lifecycle hook ${HOOK} of Auto Scaling group ${GROUP} no longer exists`,
    );
    // --on-failure stay: the replica stays up, never ready, and says why
    await waitFor('staying-unready', () => io.events().find((e) => e['event'] === 'staying-unready'));
    const { url } = io.events().find((e) => e['event'] === 'listening') as { url: string };
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reason: string }).reason).toContain(
      `aws-lifecycle registrar: RecordLifecycleActionHeartbeat failed: lifecycle hook ${HOOK}`,
    );
    io.signal('SIGTERM');
    expect(await done).toBe(3);
    expect(io.errText()).toMatch(
      new RegExp(`E_AWS_LIFECYCLE_HOOK_GONE.*lifecycle hook ${HOOK} of Auto Scaling group ${GROUP}`),
    );
    expect(fake.requestsOf('CompleteLifecycleAction')).toHaveLength(0);
  });

  it('an instance metadata service that does not answer: exit 3 naming the endpoint, before any warm-up', async () => {
    await imds.close();
    const io = captureIo();
    const code = await main(args(specs.fast, ['--imds-timeout-ms', '500']), io, {});
    expect(code).toBe(3);
    expect(io.errText()).toMatch(
      new RegExp(
        `E_IMDS_UNREACHABLE.*instance metadata service at ${imds.url.replace(/[.]/g, '\\.')}.*PUT /latest/api/token`,
      ),
    );
    expect(io.events().some((e) => e['event'] === 'listening')).toBe(false);
    expect(fake.requests).toHaveLength(0);
    imds = await startFakeImds(instanceId); // for afterEach
  });

  it('missing --asg/--lifecycle-hook and aws-only flags on another registrar are bad arguments (exit 2)', async () => {
    const io = captureIo();
    expect(await main(['serve', '--model', 'tiny-transformer', '--registrar', 'aws'], io, {})).toBe(2);
    expect(io.errText()).toMatch(/--asg[\s\S]*--lifecycle-hook/);
    const io2 = captureIo();
    expect(
      await main(
        ['serve', '--model', 'tiny-transformer', '--registrar', 'local', '--lb', 'http://127.0.0.1:1', '--asg', 'x'],
        io2,
        { WARMPOOL_LB_TOKEN: 't' },
      ),
    ).toBe(2);
    expect(io2.errText()).toMatch(/--asg[\s\S]*only with --registrar aws/);
    const io3 = captureIo();
    expect(
      await main(
        [
          'serve',
          '--model',
          'tiny-transformer',
          '--registrar',
          'aws',
          '--asg',
          GROUP,
          '--lifecycle-hook',
          HOOK,
          '--instance-id',
          'vm-7',
          '--region',
          'us-east-1',
          '--aws-endpoint',
          fake.endpoint,
        ],
        io3,
        {},
      ),
    ).toBe(2);
    expect(io3.errText()).toMatch(/instanceId[\s\S]*vm-7/);
  });

  it('the real bin as a child process: the hook deleted while it warms makes it exit 3 naming hook and group', async () => {
    if (!existsSync(join(dirname(bin), '..', 'dist', 'main.js')))
      throw new Error('build first: npx tsc -b services/warmup-agent');
    const child = spawn(process.execPath, [bin, ...args(specs.slowerRegister, ['--heartbeat-s', '0.05'])], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'AKIDFAKE',
        AWS_SECRET_ACCESS_KEY: 'fake-secret',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await waitFor(
        'a heartbeat from the child',
        () => fake.requestsOf('RecordLifecycleActionHeartbeat').length >= 1,
        20_000,
      ).catch((e: unknown) => {
        throw new Error(`${String(e)}\nstdout:\n${out}\nstderr:\n${err}`);
      });
      fake.world.deleteLifecycleHook(GROUP, HOOK);
      expect(await exited).toBe(3);
      expect(err).toMatch(
        new RegExp(`E_AWS_LIFECYCLE_HOOK_GONE.*lifecycle hook ${HOOK} of Auto Scaling group ${GROUP} no longer exists`),
      );
      expect(out).toContain('"event":"registration-failed"');
      expect(fake.requestsOf('CompleteLifecycleAction')).toHaveLength(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    }
  }, 30_000);
});
