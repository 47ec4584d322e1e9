import { describe, expect, it } from 'vitest';
import { classifyAwsError } from '../src/aws-caller.js';
import { Backoff } from '@warmpool/domain';
import { parseAwsGroups } from '../src/group-config.js';
import { instancePhase } from '../src/instance-phase.js';

describe('instancePhase', () => {
  it.each([
    ['Pending', 'Healthy', 'provisioning'],
    ['Pending:Wait', 'Healthy', 'warming'],
    ['Pending:Proceed', 'Healthy', 'warming'],
    ['InService', 'Healthy', 'ready'],
    ['InService', 'Unhealthy', 'failed'],
    ['InService', undefined, 'failed'],
    ['Terminating', 'Healthy', 'draining'],
    ['Terminating:Wait', 'Healthy', 'draining'],
    ['Standby', 'Healthy', 'draining'],
    ['Terminated', 'Healthy', undefined],
    ['Detached', 'Healthy', undefined],
    ['Warmed:Stopped', 'Healthy', undefined],
    ['Warmed:Pending:Wait', 'Healthy', undefined],
    ['SomethingNew', 'Healthy', 'provisioning'],
    [undefined, undefined, undefined],
  ])('%s / %s -> %s', (state, health, phase) => {
    expect(instancePhase(state, health)).toBe(phase);
  });
});

describe('Backoff', () => {
  it('full jitter under a doubling cap', () => {
    const top = new Backoff({ baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.9999 });
    expect([1, 2, 3, 4, 5, 6].map((n) => top.delayMs(n))).toEqual([99, 199, 399, 799, 999, 999]);
    const zero = new Backoff({ random: () => 0 });
    expect(zero.delayMs(3)).toBe(0);
  });

  it('rejects bad options with every problem named', () => {
    expect(() => new Backoff({ maxAttempts: 0, baseDelayMs: -1, maxDelayMs: Number.NaN })).toThrow(
      expect.objectContaining({
        code: 'E_VALIDATION',
        issues: [
          expect.objectContaining({ path: 'retry.maxAttempts', value: 0 }),
          expect.objectContaining({ path: 'retry.baseDelayMs', value: -1 }),
          expect.objectContaining({ path: 'retry.maxDelayMs' }),
        ],
      }),
    );
  });
});

describe('classifyAwsError', () => {
  const service = (name: string, status: number) =>
    Object.assign(new Error('m'), {
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status },
    });
  it.each([
    [service('Throttling', 400), 'throttled', 'Throttling'],
    [service('ResourceContentionFault', 500), 'transient', 'ResourceContention'],
    [service('InternalFailure', 500), 'transient', 'InternalFailure'],
    [service('ValidationError', 400), 'fatal', 'ValidationError'],
    [service('ScalingActivityInProgressFault', 400), 'fatal', 'ScalingActivityInProgress'],
    [service('SomethingElse', 429), 'throttled', 'SomethingElse'],
    [
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
      'transient',
      'ECONNREFUSED',
    ],
    [
      Object.assign(new Error('request timed out'), { name: 'TimeoutError', code: 'ETIMEDOUT' }),
      'transient',
      'ETIMEDOUT',
    ],
    [new Error('socket hang up'), 'transient', 'Error'],
    ['a string', 'fatal', undefined],
  ])('%s -> %s', (err, kind, code) => {
    expect(classifyAwsError(err)).toMatchObject({ kind, awsCode: code });
  });
});

describe('parseAwsGroups', () => {
  it('fills defaults', () => {
    expect(parseAwsGroups({ llama: { groupName: 'asg', warmPool: {}, lifecycleHook: { name: 'h' } } })).toEqual({
      llama: {
        groupName: 'asg',
        honorCooldown: false,
        warmPool: { minSize: 0, maxGroupPreparedCapacity: undefined, poolState: 'Stopped', reuseOnScaleIn: false },
        lifecycleHook: { name: 'h', heartbeatTimeoutS: 300, defaultResult: 'ABANDON' },
      },
    });
  });

  it('rejects a non-object', () => {
    expect(() => parseAwsGroups([], 'warmpool.yaml')).toThrow(/warmpool.yaml.*groups: got \[\], allowed: an object/s);
  });
});
