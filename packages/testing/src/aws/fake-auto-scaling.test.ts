import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeAutoScaling } from './fake-auto-scaling.js';

/** Raw Query API calls (no SDK), to pin the wire format the fake speaks. */
async function call(fake: FakeAutoScaling, params: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(fake.endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: new URLSearchParams({ Version: '2011-01-01', ...params }).toString(),
  });
  return { status: res.status, body: await res.text() };
}

describe('FakeAutoScaling over HTTP', () => {
  let fake: FakeAutoScaling;
  const nowMs = 1_000_000;
  beforeEach(async () => {
    fake = await FakeAutoScaling.start({ clock: () => nowMs });
    fake.world.createGroup({ name: 'g1', minSize: 1, maxSize: 3, desiredCapacity: 1 });
  });
  afterEach(async () => fake.stop());

  it('listens on 127.0.0.1 with an ephemeral port', () => {
    expect(fake.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers <XResponse><XResult>..</XResult><ResponseMetadata>', async () => {
    const { status, body } = await call(fake, {
      Action: 'DescribeAutoScalingGroups',
      'AutoScalingGroupNames.member.1': 'g1',
    });
    expect(status).toBe(200);
    expect(body).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<DescribeAutoScalingGroupsResponse xmlns="http:\/\/autoscaling.amazonaws.com\/doc\/2011-01-01\/">/,
    );
    expect(body).toContain(
      '<DescribeAutoScalingGroupsResult><AutoScalingGroups><member><AutoScalingGroupName>g1</AutoScalingGroupName>',
    );
    expect(body).toContain('<LifecycleState>InService</LifecycleState><HealthStatus>Healthy</HealthStatus>');
    expect(body).toMatch(
      /<ResponseMetadata><RequestId>[0-9a-f-]{36}<\/RequestId><\/ResponseMetadata><\/DescribeAutoScalingGroupsResponse>$/,
    );
  });

  it('an action without output answers with ResponseMetadata only', async () => {
    const { status, body } = await call(fake, {
      Action: 'SetDesiredCapacity',
      AutoScalingGroupName: 'g1',
      DesiredCapacity: '2',
    });
    expect(status).toBe(200);
    expect(body).not.toContain('SetDesiredCapacityResult');
    expect(body).toContain('<SetDesiredCapacityResponse');
    expect(fake.world.group('g1').desiredCapacity).toBe(2);
  });

  it('bad parameters get HTTP 400 ValidationError with the AWS wording', async () => {
    const cases: [Record<string, string>, string][] = [
      [
        { Action: 'SetDesiredCapacity', AutoScalingGroupName: 'g1' },
        "Value null at 'desiredCapacity' failed to satisfy constraint: Member must not be null",
      ],
      [
        { Action: 'SetDesiredCapacity', AutoScalingGroupName: 'g1', DesiredCapacity: 'two' },
        "Value 'two' at 'desiredCapacity' failed to satisfy constraint: Member must be an integer",
      ],
      [
        { Action: 'SetDesiredCapacity', AutoScalingGroupName: 'g1', DesiredCapacity: '0' },
        'New SetDesiredCapacity value 0 is below min value 1 for the AutoScalingGroup.',
      ],
      [
        { Action: 'SetDesiredCapacity', AutoScalingGroupName: 'g1', DesiredCapacity: '2', HonorCooldown: 'yes' },
        "Value 'yes' at 'honorCooldown'",
      ],
      [
        { Action: 'SetDesiredCapacity', AutoScalingGroupName: 'nope', DesiredCapacity: '1' },
        'AutoScalingGroup name not found',
      ],
      [
        { Action: 'PutWarmPool', AutoScalingGroupName: 'g1', PoolState: 'Frozen' },
        'Member must satisfy enum value set: [Stopped, Running, Hibernated]',
      ],
      [
        {
          Action: 'PutLifecycleHook',
          AutoScalingGroupName: 'g1',
          LifecycleHookName: 'h',
          LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
          HeartbeatTimeout: '5',
        },
        "Value '5' at 'heartbeatTimeout' failed to satisfy constraint: Member must have value greater than or equal to 30",
      ],
      [
        { Action: 'PutLifecycleHook', AutoScalingGroupName: 'g1', LifecycleHookName: 'h' },
        "Value null at 'lifecycleTransition'",
      ],
      [
        {
          Action: 'CompleteLifecycleAction',
          AutoScalingGroupName: 'g1',
          LifecycleHookName: 'h',
          LifecycleActionResult: 'MAYBE',
          InstanceId: 'i-1',
        },
        'enum value set: [CONTINUE, ABANDON]',
      ],
      [
        {
          Action: 'CompleteLifecycleAction',
          AutoScalingGroupName: 'g1',
          LifecycleHookName: 'h',
          LifecycleActionResult: 'CONTINUE',
          LifecycleActionToken: 'tok',
        },
        'No active Lifecycle Action found with token tok',
      ],
      [
        { Action: 'UpdateAutoScalingGroup', AutoScalingGroupName: 'g1', MinSize: '5' },
        'Max bound, 3, must be greater than or equal to min bound, 5',
      ],
    ];
    for (const [params, message] of cases) {
      const { status, body } = await call(fake, params);
      expect(status, JSON.stringify(params)).toBe(400);
      expect(body).toContain('<ErrorResponse');
      expect(body).toContain('<Type>Sender</Type><Code>ValidationError</Code>');
      expect(body, JSON.stringify(params)).toContain(message.replace(/'/g, '&apos;'));
      expect(body).toMatch(/<\/Error><RequestId>[0-9a-f-]{36}<\/RequestId><\/ErrorResponse>$/);
    }
    expect(fake.world.group('g1').desiredCapacity).toBe(1);
  });

  it('unknown actions and versions are InvalidAction', async () => {
    let r = await call(fake, { Action: 'LaunchMissiles' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('<Code>InvalidAction</Code>');
    r = await call(fake, { Action: 'DescribeAutoScalingGroups', Version: '2010-08-01' });
    expect(r.body).toContain('<Code>InvalidAction</Code>');
    r = await call(fake, { Action: 'constructor' });
    expect(r.body).toContain('<Code>InvalidAction</Code>');
  });

  it('injects throttling, 5xx and delays for the next N matching requests, and records every request', async () => {
    fake.throttle(2, 'DescribeAutoScalingGroups');
    fake.failWith(503, 1);
    let r = await call(fake, { Action: 'DescribeAutoScalingGroups' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('<Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message>');
    r = await call(fake, { Action: 'SetDesiredCapacity', AutoScalingGroupName: 'g1', DesiredCapacity: '2' });
    expect(r.status).toBe(503);
    expect(r.body).toContain('<Type>Receiver</Type><Code>ServiceUnavailable</Code>');
    r = await call(fake, { Action: 'DescribeAutoScalingGroups' });
    expect(r.body).toContain('<Code>Throttling</Code>');
    r = await call(fake, { Action: 'DescribeAutoScalingGroups' });
    expect(r.status).toBe(200);

    fake.delay(60, 1);
    let done = false;
    const pending = call(fake, { Action: 'DescribeAutoScalingGroups' }).then((x) => {
      done = true;
      return x;
    });
    await new Promise((resolve) => setTimeout(resolve, 15));
    expect(done).toBe(false);
    expect((await pending).status).toBe(200);

    expect(fake.requests.map((x) => `${x.action}:${x.errorCode ?? x.statusCode}`)).toEqual([
      'DescribeAutoScalingGroups:Throttling',
      'SetDesiredCapacity:ServiceUnavailable',
      'DescribeAutoScalingGroups:Throttling',
      'DescribeAutoScalingGroups:200',
      'DescribeAutoScalingGroups:200',
    ]);
    expect(fake.requests[1]!.params).toMatchObject({ AutoScalingGroupName: 'g1', DesiredCapacity: '2' });
    expect(fake.requests.every((x) => !x.signed && x.atMs === nowMs)).toBe(true);
    expect(fake.world.group('g1').desiredCapacity).toBe(1);
  });

  it('malformed(): HTTP 200 with an unparsable body, state untouched', async () => {
    fake.malformed(1, 'SetDesiredCapacity');
    const r = await call(fake, { Action: 'SetDesiredCapacity', AutoScalingGroupName: 'g1', DesiredCapacity: '2' });
    expect(r.status).toBe(200);
    expect(r.body).toMatch(/<SetDesiredCapacityResponse [^>]*><Auto$/);
    expect(fake.world.group('g1').desiredCapacity).toBe(1);
    expect(fake.requests[0]!.errorCode).toBe('Malformed');
  });

  it('pages DescribeAutoScalingGroups with MaxRecords and NextToken', async () => {
    fake.world.createGroup({ name: 'g2' });
    fake.world.createGroup({ name: 'g3' });
    const first = await call(fake, { Action: 'DescribeAutoScalingGroups', MaxRecords: '2' });
    expect(first.body.match(/<AutoScalingGroupName>/g)).toHaveLength(2);
    expect(first.body).toContain('<NextToken>2</NextToken>');
    const second = await call(fake, { Action: 'DescribeAutoScalingGroups', MaxRecords: '2', NextToken: '2' });
    expect(second.body).toContain('<AutoScalingGroupName>g3</AutoScalingGroupName>');
    expect(second.body).not.toContain('<NextToken>');
  });

  it('escapes XML in values', async () => {
    fake.world.createGroup({ name: 'a<b>&"c' });
    const r = await call(fake, { Action: 'DescribeAutoScalingGroups', 'AutoScalingGroupNames.member.1': 'a<b>&"c' });
    expect(r.body).toContain('<AutoScalingGroupName>a&lt;b&gt;&amp;&quot;c</AutoScalingGroupName>');
  });

  it('stop() ends a delayed answer and frees the port', async () => {
    fake.delay(10_000, 1);
    const pending = call(fake, { Action: 'DescribeAutoScalingGroups' }).catch((e: unknown) => e);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await fake.stop();
    expect(await pending).toBeInstanceOf(Error);
    fake = await FakeAutoScaling.start();
  });
});
