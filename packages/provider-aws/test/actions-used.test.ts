import { readFileSync, readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AWS_ACTIONS_USED, AWS_PROVIDER_ACTIONS, AWS_REGISTRAR_ACTIONS } from '../src/aws-actions.js';
import { AwsLifecycleRegistrar } from '../src/aws-lifecycle-registrar.js';
import { GROUP, HOOK, type Harness, MODEL, startHarness } from './aws-harness.js';

const SRC = new URL('../src/', import.meta.url);

function sourceFiles(dir: URL): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sourceFiles(new URL(`${e.name}/`, dir))
      : e.name.endsWith('.ts')
        ? [readFileSync(new URL(e.name, dir), 'utf8')]
        : [],
  );
}

describe('AWS_ACTIONS_USED lists exactly the Auto Scaling actions called', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
    h.fake.world.createGroup({ name: GROUP, minSize: 0, maxSize: 4, desiredCapacity: 0 });
  });
  afterEach(async () => h.close());

  it('a full run of provider and registrar (faults and error paths included) records no action outside the list', async () => {
    const provider = h.provider();
    const registrar = new AwsLifecycleRegistrar({
      groupName: GROUP,
      hookName: HOOK,
      client: h.client,
      retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 },
    });
    h.fake.throttle(1);
    await provider.scale({ model: MODEL, replicas: 2, idempotencyKey: 'a', reason: 'r', message: 'm' });
    h.fake.world.advance();
    const [a, b] = (await provider.getState(MODEL)).replicas;
    const reg = (id: string) => ({
      replicaId: id,
      model: MODEL,
      url: 'http://127.0.0.1:9100',
      executionProvider: 'cpu',
    });
    await registrar.heartbeat(reg(a!.id));
    await registrar.register(reg(a!.id));
    await registrar.fail(reg(b!.id), 'did not converge');
    await expect(registrar.register(reg(b!.id))).rejects.toMatchObject({ code: 'E_AWS_LIFECYCLE_ACTION_NOT_FOUND' });
    // A failed replica replaced: the instance that went InService is terminated (b was abandoned above).
    await provider.scale({
      model: MODEL,
      replicas: 2,
      idempotencyKey: 'replace',
      reason: 'ReplicaFailed',
      message: 'm',
      replace: [{ id: a!.id, reason: 'died' }],
    });
    await provider.scale({ model: MODEL, replicas: 1, idempotencyKey: 'b', reason: 'r', message: 'm' });
    await provider.getState(MODEL);

    const called = [...h.fake.actionsCalled()].sort();
    const allowed = [...AWS_ACTIONS_USED].sort();
    expect(called.filter((x) => !allowed.includes(x as never))).toEqual([]);
    // And the list is no wider than what is called.
    expect(called).toEqual(allowed);
    // Every request was signed by the SDK (SigV4 Authorization header).
    expect(h.fake.requests.every((r) => r.signed)).toBe(true);
  });

  it('the provider and registrar lists cover the whole list and nothing else', () => {
    expect(new Set([...AWS_PROVIDER_ACTIONS, ...AWS_REGISTRAR_ACTIONS])).toEqual(new Set(AWS_ACTIONS_USED));
  });

  it('every SDK command the sources construct is in the list', () => {
    const commands = new Set<string>();
    for (const text of sourceFiles(SRC)) for (const m of text.matchAll(/new (\w+)Command\(/g)) commands.add(m[1]!);
    expect(commands.size).toBeGreaterThan(0);
    expect([...commands].filter((c) => !(AWS_ACTIONS_USED as readonly string[]).includes(c))).toEqual([]);
  });
});
