import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { FakeAutoScaling } from '@warmpool/testing/aws';
import { parseConfigText } from '../src/config/load-config-file.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import type { DaemonDecisionRecord } from '../src/daemon/daemon-record.js';
import { FunctionHistory, T0 } from './support/daemon-harness.js';
import { configPath } from './support/config-path.js';
import { fakeAutoScalingClient, recordingStdout } from './support/aws-daemon-io.js';

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

const YAML = `tickS: 1
provider: { kind: aws, region: us-east-1, requestTimeoutMs: 1000 }
history: { kind: csv, directory: /tmp, backfillS: 600 }
models:
  - name: llama
    capacityPerReplicaPerS: 10
    leadTime: { provisionS: 5, loadS: 3, warmupS: 2 }
    minWarmReplicas: 2
    maxReplicas: 6
    horizonS: 10
    stepS: 10
    target:
      groupName: asg-heal
      lifecycleHook: { name: warmpool-warmup, heartbeatTimeoutS: 300 }
`;

describe('the daemon on AWS Auto Scaling heals (real SDK against the fake Query API)', () => {
  it('an instance stuck on the launching hook past its deadline is ABANDONed, an unhealthy one terminated; the group launches replacements and the desired capacity stays', async () => {
    fake.world.createGroup({ name: 'asg-heal', minSize: 0, maxSize: 6, desiredCapacity: 1 });
    const client = fakeAutoScalingClient(fake.endpoint, 1000);
    const { out, records } = recordingStdout();
    const daemon = buildDaemon({
      config: parseConfigText(YAML, configPath('aws-heal.yaml')),
      env: {},
      stdout: out,
      clock,
      awsClient: client,
      createHistory: () => new FunctionHistory(() => 5),
      awsRetry: { maxAttempts: 4, baseDelayMs: 1, maxDelayMs: 2 },
      // No checkpoint: a lead time another test measured (a shared state file) must not be restored here.
      checkpoint: false,
      queueOptions: { attempts: 4, backoffBaseMs: 20 },
    });
    const decisions = (): DaemonDecisionRecord[] =>
      records.filter((r): r is DaemonDecisionRecord => r.kind === 'decision');
    const settleJobs = async (): Promise<void> => {
      for (
        let i = 0;
        i < 200 &&
        records.filter((r) => r.kind === 'job' && r.event === 'completed').length <
          decisions().filter((d) => d.acted === 'enqueued').length;
        i++
      ) {
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await daemon.start();
      // The first tick keeps the warm minimum: 1 -> 2, the new instance held on the hook (its agent never completes it).
      await clock.advanceBy(0);
      await daemon.idle();
      await settleJobs();
      fake.world.advance();
      const group = () => fake.world.group('asg-heal');
      const stuck = group().instances.find((i) => i.lifecycleState === 'Pending:Wait')!;
      expect(stuck).toBeDefined();
      // Lead time 10 s (the spec's; nothing measured yet): failed past max(10 + 30, 2 x 10) = 40 s after it was asked for.
      for (let i = 0; i < 38; i++) {
        await clock.advanceBy(1000);
        await daemon.idle();
      }
      expect(
        fake.requestsOf('CompleteLifecycleAction'),
        JSON.stringify(
          decisions()
            .filter((d) => d.failed)
            .map((d) => [d.time, d.replaced, d.failed]),
        ),
      ).toHaveLength(0);
      for (let i = 0; i < 15 && fake.requestsOf('CompleteLifecycleAction').length === 0; i++) {
        await clock.advanceBy(1000);
        await daemon.idle();
        await settleJobs();
      }
      const abandon = fake.requestsOf('CompleteLifecycleAction');
      expect(abandon.map((r) => [r.params['InstanceId'], r.params['LifecycleActionResult']])).toEqual([
        [stuck.instanceId, 'ABANDON'],
      ]);
      const healing = decisions().find((d) => d.replaced);
      expect(healing).toMatchObject({
        acted: 'enqueued',
        failed: 1,
        replaced: [
          {
            id: stuck.instanceId,
            reason: expect.stringMatching(
              /^not ready 4\d s after it was requested \(still warming; lead time 10 s, failed past 40 s\)$/,
            ),
          },
        ],
      });
      expect(healing!.reasons).toContain('ReplicaFailed');
      expect(group().desiredCapacity).toBe(2);
      expect(fake.world.instance(stuck.instanceId)?.lifecycleState).toBe('Terminating');
      // The group launched a replacement: its agent warms it and completes the hook.
      fake.world.advance();
      expect(fake.world.completeAllWaiting('CONTINUE', 'asg-heal')).toBe(1);
      fake.world.settle();
      expect(group().instances.filter((i) => i.lifecycleState === 'InService')).toHaveLength(2);

      // An InService instance turns unhealthy: failed at once, terminated without decrementing (after the backoff).
      const sick = group().instances.find((i) => i.lifecycleState === 'InService')!;
      fake.world.setHealth(sick.instanceId, 'Unhealthy');
      for (let i = 0; i < 15 && fake.requestsOf('TerminateInstanceInAutoScalingGroup').length === 0; i++) {
        await clock.advanceBy(1000);
        await daemon.idle();
        await settleJobs();
      }
      expect(
        fake
          .requestsOf('TerminateInstanceInAutoScalingGroup')
          .map((r) => [r.params['InstanceId'], r.params['ShouldDecrementDesiredCapacity']]),
      ).toEqual([[sick.instanceId, 'false']]);
      expect(group().desiredCapacity).toBe(2);
      fake.world.settle();
      fake.world.completeAllWaiting('CONTINUE', 'asg-heal');
      fake.world.settle();
      await clock.advanceBy(1000);
      await daemon.idle();
      expect(decisions().at(-1)).toMatchObject({ ready: 2, warming: 0 });
      expect(fake.requestsOf('SetDesiredCapacity').map((r) => r.params['DesiredCapacity'])).toEqual(['2']);
    } finally {
      await daemon.stop();
      client.destroy();
    }
  });
});
