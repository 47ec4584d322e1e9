import { afterEach, describe, expect, it } from 'vitest';
import { AutoScalingWorld } from './auto-scaling-world.js';
import { FakeInstanceMetadata } from './fake-instance-metadata.js';

describe('FakeInstanceMetadata (IMDSv2)', () => {
  let imds: FakeInstanceMetadata | undefined;
  afterEach(async () => {
    await imds?.close();
    imds = undefined;
  });

  const token = async (url: string, ttl = '60', headers: Record<string, string> = {}) =>
    fetch(`${url}/latest/api/token`, {
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl, ...headers },
    });
  const get = (url: string, path: string, t?: string) =>
    fetch(`${url}/latest/meta-data/${path}`, { headers: t ? { 'x-aws-ec2-metadata-token': t } : {} });

  it('IMDSv2 only: a GET without a live token is 401, a token needs a TTL in [1, 21600] and no proxy header, and expires', async () => {
    let now = 0;
    imds = await FakeInstanceMetadata.start({
      instanceId: 'i-0123456789abcdef0',
      region: 'eu-west-1',
      clock: () => now,
    });
    expect((await get(imds.url, 'instance-id')).status).toBe(401);
    expect((await token(imds.url, '0')).status).toBe(400);
    expect((await token(imds.url, '21601')).status).toBe(400);
    expect((await token(imds.url, '60', { 'x-forwarded-for': '10.0.0.1' })).status).toBe(403);
    const t = await (await token(imds.url)).text();
    expect(await (await get(imds.url, 'instance-id', t)).text()).toBe('i-0123456789abcdef0');
    expect(await (await get(imds.url, 'placement/region', t)).text()).toBe('eu-west-1');
    expect((await get(imds.url, 'autoscaling/target-lifecycle-state', t)).status).toBe(404); // in no group
    now += 60_000;
    expect((await get(imds.url, 'instance-id', t)).status).toBe(401);
    expect(imds.requests.map((r) => r.status)).toEqual([401, 400, 400, 403, 200, 200, 200, 404, 401]);
  });

  it('the target lifecycle state follows the instance in the Auto Scaling fake: warm pool, out of it, terminating', async () => {
    const world = new AutoScalingWorld(() => 0);
    world.createGroup({ name: 'g', minSize: 0, maxSize: 2, desiredCapacity: 0 });
    world.putLifecycleHook('g', 'h', { transition: 'autoscaling:EC2_INSTANCE_LAUNCHING' });
    world.putWarmPool('g', { minSize: 1, maxGroupPreparedCapacity: 1, poolState: 'Hibernated' });
    const id = world.group('g').instances[0]!.instanceId;
    imds = await FakeInstanceMetadata.start({ instanceId: id, world });
    const t = await (await token(imds.url)).text();
    const target = async () => (await get(imds!.url, 'autoscaling/target-lifecycle-state', t)).text();
    expect(await target()).toBe('Warmed:Hibernated'); // Warmed:Pending
    world.advance();
    expect(world.instance(id)?.lifecycleState).toBe('Warmed:Pending:Wait');
    expect(await target()).toBe('Warmed:Hibernated');
    world.completeAllWaiting('CONTINUE', 'g');
    world.settle();
    expect(world.instance(id)?.lifecycleState).toBe('Warmed:Hibernated');
    world.setDesiredCapacity('g', 1, false); // out of the pool
    expect(await target()).toBe('InService');
    world.terminateInstance(id, true);
    expect(await target()).toBe('Terminated');
  });
});
