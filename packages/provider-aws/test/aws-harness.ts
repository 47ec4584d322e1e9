import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { FakeAutoScaling } from '@warmpool/testing/aws';
import { AwsAutoScalingProvider, type AwsAutoScalingProviderOptions } from '../src/aws-auto-scaling-provider.js';
import { createAutoScalingClient } from '../src/auto-scaling-client.js';
import { SeededRandom } from '@warmpool/domain';

process.env.AWS_EC2_METADATA_DISABLED = 'true';

/** A manual clock: tests move time, nothing reads the wall clock. */
export class ManualClock {
  nowMs = Date.UTC(2026, 0, 1);
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

export interface Harness {
  readonly fake: FakeAutoScaling;
  readonly client: AutoScalingClient;
  readonly clock: ManualClock;
  /** Delays the backoff asked for (it sleeps 0-2 ms of them at most). */
  readonly sleeps: number[];
  provider(options?: Partial<AwsAutoScalingProviderOptions>): AwsAutoScalingProvider;
  close(): Promise<void>;
}

export const GROUP = 'asg-llama';
export const MODEL = 'llama';
export const HOOK = 'warmpool-warmup';

export const GROUPS = {
  [MODEL]: {
    groupName: GROUP,
    warmPool: { minSize: 2, poolState: 'Stopped', reuseOnScaleIn: true },
    lifecycleHook: { name: HOOK, heartbeatTimeoutS: 120 },
  },
};

/** Starts the fake on an ephemeral loopback port and a real SDK client pointed at it. */
export async function startHarness(): Promise<Harness> {
  const clock = new ManualClock();
  const fake = await FakeAutoScaling.start({ clock: clock.now });
  const client = createAutoScalingClient({
    endpoint: fake.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: 'fake-secret' },
    requestTimeoutMs: 2000,
  });
  const sleeps: number[] = [];
  const providers: AwsAutoScalingProvider[] = [];
  return {
    fake,
    client,
    clock,
    sleeps,
    provider(options = {}) {
      const random = new SeededRandom(42);
      const p = new AwsAutoScalingProvider({
        groups: GROUPS,
        client,
        clock: clock.now,
        retry: {
          maxAttempts: 4,
          baseDelayMs: 1,
          maxDelayMs: 2,
          random: random.fn,
          sleep: async (ms) => {
            sleeps.push(ms);
            await new Promise((r) => setTimeout(r, Math.min(ms, 2)));
          },
        },
        ...options,
      });
      providers.push(p);
      return p;
    },
    async close() {
      for (const p of providers) await p.close();
      client.destroy();
      await fake.stop();
    },
  };
}
