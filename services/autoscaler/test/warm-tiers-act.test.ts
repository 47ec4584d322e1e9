import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { FakeAutoScaling } from '@warmpool/testing/aws';
import { parseConfigText } from '../src/config/load-config-file.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import { FunctionHistory, T0 } from './support/daemon-harness.js';
import { configPath } from './support/config-path.js';
import { fakeAutoScalingClient, recordingStdout } from './support/aws-daemon-io.js';

// integration over loopback HTTP: generous limits for a loaded machine
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

const GIB = 1024 ** 3;
const yaml = (budgetGiB: number): string => `tickS: 1
provider: { kind: aws, region: us-east-1, requestTimeoutMs: 2000 }
history: { kind: csv, directory: /tmp, backfillS: 600 }
gpuBudgetBytes: ${budgetGiB * GIB}
models:
  - name: alpha
    capacityPerReplicaPerS: 10
    minWarmReplicas: 1
    maxReplicas: 4
    priority: 10
    gpuMemoryPerReplicaBytes: ${GIB}
    stepS: 10
    target: { groupName: asg-alpha, warmPool: { minSize: 1, poolState: Stopped, reuseOnScaleIn: true } }
  - name: beta
    capacityPerReplicaPerS: 10
    minWarmReplicas: 1
    maxReplicas: 4
    priority: 0
    gpuMemoryPerReplicaBytes: ${GIB}
    stepS: 10
    target: { groupName: asg-beta, warmPool: { minSize: 1, poolState: Hibernated, reuseOnScaleIn: true } }
`;

describe('warmth tiers that act (daemon on AWS, real SDK against the fake)', () => {
  it('each tier change is a fleet record naming it, and the leader sets the group warm pool state; a reload that widens the GPU budget moves a model host -> gpu', async () => {
    fake.world.createGroup({ name: 'asg-alpha', minSize: 0, maxSize: 4, desiredCapacity: 1 });
    fake.world.createGroup({ name: 'asg-beta', minSize: 0, maxSize: 4, desiredCapacity: 1 });
    const client = fakeAutoScalingClient(fake.endpoint, 2000);
    const { out, records } = recordingStdout();
    const daemon = buildDaemon({
      config: parseConfigText(yaml(1), configPath('aws.yaml')),
      env: {},
      stdout: out,
      clock,
      awsClient: client,
      createHistory: () => new FunctionHistory(() => 5),
      awsRetry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    });
    await daemon.start();
    for (let i = 0; i < 3; i++) {
      await clock.advanceBy(i === 0 ? 0 : 1000);
      await daemon.idle();
    }
    const changes = () =>
      records
        .filter((r) => r.kind === 'fleet' && r.event === 'warm-tier-changed')
        .map((r) => (r as unknown as { msg: string }).msg); // stdout's log lines: msg
    // one GiB of GPU: alpha (priority 10) gets it, beta is staged in host memory
    expect(changes()).toEqual([
      'alpha: warmth tier (none) -> gpu: warm pool Running',
      'beta: warmth tier (none) -> host: warm pool Hibernated',
    ]);
    expect(fake.world.group('asg-alpha').warmPool).toMatchObject({ poolState: 'Running' });
    expect(fake.world.group('asg-beta').warmPool).toMatchObject({ poolState: 'Hibernated' });

    await daemon.reload(parseConfigText(yaml(2), configPath('aws.yaml')));
    for (let i = 0; i < 2; i++) {
      await clock.advanceBy(1000);
      await daemon.idle();
    }
    expect(changes().slice(2)).toEqual(['beta: warmth tier host -> gpu: warm pool Running']);
    expect(fake.world.group('asg-beta').warmPool).toMatchObject({ poolState: 'Running' });
    expect(records.filter((r) => r.kind === 'error')).toEqual([]);
    await daemon.stop();
    client.destroy();
  });
});
