import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { FakeAutoScaling } from '@warmpool/testing/aws';
import { parseConfigText } from '../src/config/load-config-file.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import type { Daemon } from '../src/daemon/daemon.js';
import type { DaemonLogRecord } from '../src/daemon/daemon-record.js';
import { FunctionHistory, T0 } from './support/daemon-harness.js';
import { configPath } from './support/config-path.js';
import { fakeAutoScalingClient, recordingStdout } from './support/aws-daemon-io.js';

// integration tests over loopback HTTP / Redis: generous limits for a loaded machine (they take ~1 s)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

process.env.AWS_EC2_METADATA_DISABLED = 'true';

let fake: FakeAutoScaling;
let clock: ManualClock;
beforeAll(async () => {
  clock = new ManualClock(T0);
  fake = await FakeAutoScaling.start({ clock: () => clock.now() });
});
afterAll(async () => {
  await fake.stop();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, fn: () => boolean, maxMs = 6000): Promise<void> {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > maxMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const YAML = (group: string): string => `tickS: 1
provider: { kind: aws, region: us-east-1, requestTimeoutMs: 300 }
history: { kind: csv, directory: /tmp, backfillS: 600 }
models:
  - name: llama
    capacityPerReplicaPerS: 10
    leadTime: { provisionS: 5, loadS: 3, warmupS: 2 }
    minWarmReplicas: 1
    maxReplicas: 12
    horizonS: 10
    stepS: 10
    target:
      groupName: ${group}
      warmPool: { minSize: 2, poolState: Stopped, reuseOnScaleIn: true }
      lifecycleHook: { name: warmpool-warmup, heartbeatTimeoutS: 300 }
`;

function start(
  group: string,
  hot: (tS: number) => number,
): { daemon: Daemon; records: DaemonLogRecord[]; close: () => void } {
  const client = fakeAutoScalingClient(fake.endpoint, 300);
  const { out, records } = recordingStdout();
  const daemon = buildDaemon({
    config: parseConfigText(YAML(group), configPath('aws.yaml')),
    env: {},
    stdout: out,
    clock,
    awsClient: client,
    createHistory: () => new FunctionHistory((_m, t) => hot(t)),
    awsRetry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 },
    queueOptions: { attempts: 4, backoffBaseMs: 20 },
  });
  return { daemon, records, close: () => client.destroy() };
}

async function tick(d: Daemon, ms = 1000): Promise<void> {
  await clock.advanceBy(ms);
  await d.idle();
}

const desiredWrites = (group: string): number[] =>
  fake
    .requestsOf('SetDesiredCapacity')
    .filter((r) => r.params.AutoScalingGroupName === group)
    .map((r) => Number(r.params.DesiredCapacity));

describe('the daemon on AWS Auto Scaling (real SDK against the fake Query API)', () => {
  it('scales the group ahead through throttling and a 5xx, makes sure the warm pool and hook exist, and follows the instances to ready', async () => {
    fake.world.createGroup({ name: 'asg-llama', minSize: 0, maxSize: 12, desiredCapacity: 1 });
    const spikeAtS = clock.now() / 1000 + 20;
    const d = start('asg-llama', (t) => (t >= spikeAtS ? 45 : 5));
    fake.throttle(2, 'SetDesiredCapacity');
    fake.failWith(503, 1, 'SetDesiredCapacity');
    await d.daemon.start();
    for (let i = 0; i <= 32; i++) await tick(d.daemon, i === 0 ? 0 : 1000);
    await until('the scale job', () => d.records.some((r) => r.kind === 'job' && r.event === 'completed'));
    const up = d.records.find((r) => r.kind === 'decision' && r.acted === 'enqueued');
    expect(up).toMatchObject({ model: 'llama', action: 'scale-up', from: 1 });
    const to = (up as { to: number }).to;
    // three failed answers, then the one applied: one size, asked for by one job
    expect(desiredWrites('asg-llama')).toEqual([to, to, to, to]);
    expect(fake.world.group('asg-llama').desiredCapacity).toBe(to);
    expect(fake.requestsOf('PutWarmPool').length + fake.requestsOf('PutLifecycleHook').length).toBeGreaterThanOrEqual(
      2,
    );
    expect(d.records.filter((r) => r.kind === 'job' && r.event === 'completed')).toHaveLength(1);
    // new instances wait on the lifecycle hook (warming) until the agent completes it (ready)
    fake.world.settle();
    await tick(d.daemon);
    const warming = d.records.filter((r) => r.kind === 'decision').at(-1) as { ready: number; warming: number };
    expect(warming.ready).toBe(1);
    expect(warming.warming).toBe(to - 1);
    fake.world.completeAllWaiting('CONTINUE', 'asg-llama');
    fake.world.settle();
    await tick(d.daemon);
    await tick(d.daemon);
    const outcome = d.records.find((r) => r.kind === 'outcome');
    expect(outcome).toMatchObject({ model: 'llama', outcome: 'late', to }); // the demand was over the 1 instance before while the new ones waited on the hook
    await d.daemon.stop();
    d.close();
  });

  it('a timed-out SetDesiredCapacity and throttling beyond the provider retries: the queue retries, the log says so, one size is set', async () => {
    fake.world.createGroup({ name: 'asg-two', minSize: 0, maxSize: 12, desiredCapacity: 1 });
    const d = start('asg-two', () => 45);
    fake.delay(800, 1, 'SetDesiredCapacity'); // longer than requestTimeoutMs: the SDK gives up, the fake applies it late
    fake.throttle(4, 'SetDesiredCapacity');
    await d.daemon.start();
    await tick(d.daemon, 0);
    const up = d.records.find((r) => r.kind === 'decision' && r.acted === 'enqueued') as { to: number; jobId: string };
    expect(up).toBeDefined();
    for (let i = 0; i < 200 && !d.records.some((r) => r.kind === 'job' && r.event === 'completed'); i++) {
      await clock.advanceBy(20);
      await sleep(5);
    }
    const jobs = d.records.filter((r) => r.kind === 'job');
    expect(
      jobs.some(
        (j) =>
          j.kind === 'job' &&
          j.event === 'retrying' &&
          ['E_AWS_THROTTLED', 'E_AWS_UNAVAILABLE'].includes(j.error!.code),
      ),
    ).toBe(true);
    expect(jobs.at(-1)).toMatchObject({ event: 'completed', jobId: up.jobId });
    await sleep(900); // the late write lands
    expect(new Set(desiredWrites('asg-two'))).toEqual(new Set([up.to]));
    expect(fake.world.group('asg-two').desiredCapacity).toBe(up.to);
    await d.daemon.stop();
    d.close();
  });
});
