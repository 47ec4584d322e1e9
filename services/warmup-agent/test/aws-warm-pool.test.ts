import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAutoScaling, FakeInstanceMetadata } from '@warmpool/testing/aws';
import { InstanceMetadataClient } from '../src/instance-metadata-client.js';
import { main } from '../src/main.js';
import { awsRegistrarArgs, serveArgs, useFakeAwsCredentials } from './support/registrar-setup.js';
import { captureIo, waitFor, writeSpecs } from './helpers.js';

const GROUP = 'asg-tiny';
const HOOK = 'warmpool-warmup';
const dir = mkdtempSync(join(tmpdir(), 'warmpool-agent-warm-pool-'));
const specs = writeSpecs(dir);
const optCache = join(dir, 'opt');

useFakeAwsCredentials();
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('warmpool-agent serve --registrar aws: the target lifecycle state (warm pool or service)', () => {
  let fake: FakeAutoScaling;
  let imds: FakeInstanceMetadata;
  let instanceId: string;

  /** A group with a launching hook and a warm pool in `poolState`; one instance launched into the pool, held on the hook. */
  async function launchIntoPool(poolState: 'Stopped' | 'Running' | 'Hibernated'): Promise<void> {
    fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 2, desiredCapacity: 0 });
    fake.world.putLifecycleHook(GROUP, HOOK, {
      transition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
      heartbeatTimeoutS: 120,
      defaultResult: 'ABANDON',
    });
    fake.world.putWarmPool(GROUP, { minSize: 1, maxGroupPreparedCapacity: 1, poolState });
    fake.world.advance();
    const inst = fake.world.group(GROUP).instances[0]!;
    expect(inst.lifecycleState).toBe('Warmed:Pending:Wait');
    instanceId = inst.instanceId;
    imds = await FakeInstanceMetadata.start({ instanceId, world: fake.world });
  }

  beforeEach(async () => {
    fake = await FakeAutoScaling.start();
  });
  afterEach(async () => {
    await fake.stop();
    await imds?.close();
  });

  const state = () => fake.world.instance(instanceId)?.lifecycleState;
  const args = (spec: string, extra: string[] = []) => [
    ...serveArgs({ spec, optCache, registrar: 'aws' }),
    ...awsRegistrarArgs({ group: GROUP, hook: HOOK, awsEndpoint: fake.endpoint, imdsUrl: imds.url }),
    '--warm-pool-poll-ms',
    '20',
    ...extra,
  ];
  const readyz = async (io: ReturnType<typeof captureIo>) => {
    const { url } = io.events().find((e) => e['event'] === 'listening') as { url: string };
    return (await fetch(`${url}/readyz`)).status;
  };

  it('launching into a Running warm pool: warms, completes the hook into the pool, stays out of traffic; leaving the pool: quick pass, CONTINUE, ready', async () => {
    await launchIntoPool('Running');
    const io = captureIo();
    const done = main(args(specs.fast), io, {});
    await waitFor('warm-pool-entered', () => io.events().find((e) => e['event'] === 'warm-pool-entered'), 20_000);
    expect(io.events().find((e) => e['event'] === 'target-lifecycle-state')).toMatchObject({ state: 'Warmed:Running' });
    expect(
      fake
        .requestsOf('CompleteLifecycleAction')
        .map((r) => [r.params['InstanceId'], r.params['LifecycleActionResult']]),
    ).toEqual([[instanceId, 'CONTINUE']]);
    fake.world.advance();
    expect(state()).toBe('Warmed:Running');
    // In the pool: warm, but no traffic.
    expect(await readyz(io)).toBe(503);
    const pollsBefore = imds.requests.filter((r) => r.path.endsWith('target-lifecycle-state')).length;
    await waitFor(
      'the agent polls the target state in the pool',
      () => imds.requests.filter((r) => r.path.endsWith('target-lifecycle-state')).length >= pollsBefore + 2,
    );
    expect(fake.requestsOf('CompleteLifecycleAction')).toHaveLength(1);

    // A scale-up takes the instance out of the pool; the launch holds it on the hook again.
    fake.world.setDesiredCapacity(GROUP, 1, false);
    expect(state()).toBe('Pending');
    fake.world.advance();
    expect(state()).toBe('Pending:Wait');
    await waitFor('serving', () => io.events().find((e) => e['event'] === 'serving'), 20_000);
    const names = io.events().map((e) => e['event']);
    expect(names.indexOf('warm-pool-left')).toBeLessThan(names.indexOf('quick-pass'));
    expect(names.indexOf('quick-pass')).toBeLessThan(names.indexOf('registered'));
    expect(io.events().find((e) => e['event'] === 'quick-pass')).toMatchObject({ targets: expect.any(Number) });
    expect(fake.requestsOf('CompleteLifecycleAction').map((r) => r.params['LifecycleActionResult'])).toEqual([
      'CONTINUE',
      'CONTINUE',
    ]);
    fake.world.advance();
    expect(state()).toBe('InService');
    expect(await readyz(io)).toBe(200);
    // Warm-up ran once (the pool kept the process and its session), not again on the way out.
    expect(io.events().filter((e) => e['event'] === 'warmup-finished')).toHaveLength(1);
    io.signal('SIGTERM');
    expect(await done).toBe(0);
  }, 60_000);

  it('launching into a Stopped warm pool: the hook completes so the instance stops warm; a SIGTERM while it waits there ends the agent cleanly', async () => {
    await launchIntoPool('Stopped');
    const io = captureIo();
    const done = main(args(specs.fast), io, {});
    await waitFor('warm-pool-entered', () => io.events().find((e) => e['event'] === 'warm-pool-entered'), 20_000);
    fake.world.advance();
    expect(state()).toBe('Warmed:Stopped');
    expect(await readyz(io)).toBe(503);
    io.signal('SIGTERM');
    expect(await done).toBe(0);
    expect(fake.requestsOf('CompleteLifecycleAction').map((r) => r.params['LifecycleActionResult'])).toEqual([
      'CONTINUE',
    ]);
  }, 60_000);

  it('started again out of the pool (target InService): a quick pass, then CONTINUE', async () => {
    await launchIntoPool('Stopped');
    fake.world.completeAllWaiting('CONTINUE', GROUP);
    fake.world.advance();
    expect(state()).toBe('Warmed:Stopped');
    fake.world.setDesiredCapacity(GROUP, 1, false);
    fake.world.advance();
    expect(state()).toBe('Pending:Wait');
    const io = captureIo();
    const done = main(args(specs.fast), io, {});
    await waitFor('serving', () => io.events().find((e) => e['event'] === 'serving'), 20_000);
    expect(io.events().find((e) => e['event'] === 'target-lifecycle-state')).toMatchObject({ state: 'InService' });
    expect(io.events().some((e) => e['event'] === 'quick-pass')).toBe(true);
    expect(io.events().some((e) => e['event'] === 'warm-pool-entered')).toBe(false);
    expect(fake.requestsOf('CompleteLifecycleAction').map((r) => r.params['LifecycleActionResult'])).toEqual([
      'CONTINUE',
    ]);
    io.signal('SIGTERM');
    expect(await done).toBe(0);
  }, 60_000);

  it('an instance heading somewhere else (Terminated) is never completed with CONTINUE; exit 3 naming the state', async () => {
    await launchIntoPool('Stopped');
    await imds.close();
    imds = await FakeInstanceMetadata.start({ instanceId, targetLifecycleState: 'Terminated' });
    const io = captureIo();
    expect(await main(args(specs.fast), io, {})).toBe(3);
    expect(io.errText()).toMatch(/E_AWS_NOT_LAUNCHING.*target lifecycle state is Terminated/);
    expect(fake.requestsOf('CompleteLifecycleAction')).toHaveLength(0);
  }, 60_000);
});

describe('InstanceMetadataClient: target lifecycle state over IMDSv2', () => {
  it('reads it with a token, asks a fresh token once when the old one expired, and refuses an unknown value', async () => {
    let now = 1_000_000;
    let target = 'Warmed:Hibernated';
    const imds = await FakeInstanceMetadata.start({
      instanceId: 'i-0123456789abcdef0',
      targetLifecycleState: () => target,
      clock: () => now,
    });
    try {
      const client = new InstanceMetadataClient({ endpoint: imds.url, tokenTtlS: 60 });
      expect(await client.targetLifecycleState()).toBe('Warmed:Hibernated');
      now += 61_000; // the token's TTL passed while the instance hibernated
      target = 'InService';
      expect(await client.targetLifecycleState()).toBe('InService');
      expect(imds.requests.map((r) => `${r.method} ${r.status}`)).toEqual([
        'PUT 200',
        'GET 200',
        'GET 401',
        'PUT 200',
        'GET 200',
      ]);
      expect(imds.requests[0]!.ttl).toBe('60');
      target = 'Flying';
      await expect(client.targetLifecycleState()).rejects.toMatchObject({
        code: 'E_IMDS_BAD_ANSWER',
        message: expect.stringMatching(/autoscaling\/target-lifecycle-state: not a target lifecycle state: "Flying"/),
      });
    } finally {
      await imds.close();
    }
  });

  it('a 404 (the instance is in no Auto Scaling group) is a bad answer naming the path', async () => {
    const imds = await FakeInstanceMetadata.start({ instanceId: 'i-0123456789abcdef0' });
    try {
      await expect(new InstanceMetadataClient({ endpoint: imds.url }).targetLifecycleState()).rejects.toMatchObject({
        code: 'E_IMDS_BAD_ANSWER',
        message: expect.stringMatching(/target-lifecycle-state: GET answered 404/),
      });
    } finally {
      await imds.close();
    }
  });
});
