import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import { CliArgs } from '../src/cli-args.js';
import { InstanceMetadataClient } from '../src/instance-metadata-client.js';
import { main } from '../src/main.js';
import { readRegistrationArgs } from '../src/registrar-args.js';
import { describeRegistrarFailure } from '../src/registrar-failure.js';
import { captureIo, startFakeImds, waitFor, writeSpecs } from './helpers.js';
import { SERVE_COMMAND } from '../src/agent-commands.js';

// serve's option table with --model optional: these tests read other options of it alone.
const SERVE_OPTIONS = {
  ...SERVE_COMMAND,
  options: { ...SERVE_COMMAND.options, model: { ...SERVE_COMMAND.options['model']!, required: false } },
};

// No test here races the clock: waits are for events (a log line, the command ending), bounded generously so a loaded
// machine only makes them slower, and a wrong behaviour still fails (the command ends first, or the bound is reached).
const dir = mkdtempSync(join(tmpdir(), 'warmpool-agent-local-'));
const specs = writeSpecs(dir);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('serve --registrar local', () => {
  it('an unreachable load balancer: E_LB_UNREACHABLE naming its URL, exit 3, /readyz 503 with the reason (--on-failure stay)', async () => {
    const lb = new LoadBalancerServer({ token: 't' });
    const { url: deadUrl } = await lb.listen();
    await lb.close();
    const io = captureIo();
    const done = main(
      [
        'serve',
        '--model',
        'tiny-transformer',
        '--name',
        'tiny',
        '--spec',
        specs.fast,
        '--providers',
        'cpu',
        '--opt-cache',
        join(dir, 'opt'),
        '--lb',
        deadUrl,
        '--register-retries',
        '1',
        '--register-retry-delay-ms',
        '5',
        '--on-failure',
        'stay',
      ],
      io,
      { WARMPOOL_LB_TOKEN: 't' },
    );
    // Loads and warms the model first; serve ending before it stays unready is a failure at once (not after the bound).
    await Promise.race([
      waitFor('staying-unready', () => io.events().find((e) => e['event'] === 'staying-unready'), 150_000),
      done.then((code) => {
        throw new Error(`serve ended (exit ${code}) instead of staying unready: ${io.errText()}`);
      }),
    ]);
    const { url } = io.events().find((e) => e['event'] === 'listening') as { url: string };
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { reason: string }).reason).toContain(`load balancer ${deadUrl}`);
    io.signal('SIGINT');
    expect(await done).toBe(3);
    expect(io.errText()).toMatch(
      new RegExp(`E_LB_UNREACHABLE: local registrar: load balancer ${deadUrl.replace(/[.]/g, '\\.')}`),
    );
  }, 180_000);

  // Imports the serve command (ONNX Runtime and the registrar clients): seconds on a loaded machine.
  it('--lb without a token, a bad --registrar, a bad --heartbeat-s are named (exit 2)', {
    timeout: 60_000,
  }, async () => {
    const io = captureIo();
    expect(
      await main(
        [
          'serve',
          '--model',
          'tiny-transformer',
          '--lb',
          'http://127.0.0.1:1',
          '--registrar',
          'consul',
          '--heartbeat-s',
          '0',
          '--on-failure',
          'maybe',
        ],
        io,
        {},
      ),
    ).toBe(2);
    expect(io.errText()).toMatch(/--registrar: got "consul"[\s\S]*--heartbeat-s[\s\S]*--on-failure/);
  });
});

describe('registration arguments', () => {
  const read = (argv: string[], env: Record<string, string> = {}) => {
    const args = new CliArgs(argv, SERVE_OPTIONS);
    const r = readRegistrationArgs(args, env);
    return { r, issues: args.issues };
  };

  it('defaults: none without --lb, local with it; aws heartbeats every 60 s; env fills pod, namespace, token, region', () => {
    expect(read([]).r).toMatchObject({ registrar: { kind: 'none' }, heartbeatMs: 10_000, onFailure: 'exit' });
    expect(read(['--lb', 'http://127.0.0.1:8080'], { WARMPOOL_LB_TOKEN: 'tok' }).r.registrar).toMatchObject({
      kind: 'local',
      token: 'tok',
      retries: 5,
      retryDelayMs: 500,
    });
    expect(read(['--registrar', 'kubernetes'], { POD_NAME: 'p-1', POD_NAMESPACE: 'ns' }).r.registrar).toMatchObject({
      kind: 'kubernetes',
      podName: 'p-1',
      namespace: 'ns',
      kubeconfigPath: undefined,
    });
    const aws = read(['--registrar', 'aws', '--asg', 'g', '--lifecycle-hook', 'h', '--heartbeat-s', '0.5'], {
      AWS_REGION: 'eu-west-1',
    });
    expect(aws.issues).toEqual([]);
    expect(aws.r).toMatchObject({
      heartbeatMs: 500,
      registrar: { kind: 'aws', region: 'eu-west-1', instanceId: undefined, imdsEndpoint: 'http://169.254.169.254' },
    });
    expect(read(['--registrar', 'aws', '--asg', 'g', '--lifecycle-hook', 'h']).r.heartbeatMs).toBe(60_000);
  });

  it('flags of another registrar are refused', () => {
    const { issues } = read([
      '--registrar',
      'kubernetes',
      '--pod',
      'p',
      '--namespace',
      'n',
      '--lb',
      'http://x',
      '--asg',
      'g',
    ]);
    expect(issues.map((i) => i.path)).toEqual(['--lb', '--asg']);
  });
});

describe('InstanceMetadataClient (IMDSv2)', () => {
  it('token first, then the instance id and region with the token', { timeout: 30_000 }, async () => {
    const imds = await startFakeImds('i-0123456789abcdef0', 'eu-central-1');
    try {
      const c = new InstanceMetadataClient({ endpoint: `${imds.url}/` });
      expect(await c.instanceId()).toBe('i-0123456789abcdef0');
      expect(await c.region()).toBe('eu-central-1');
      expect(imds.requests.map((r) => r.method)).toEqual(['PUT', 'GET', 'GET']); // one token for both
    } finally {
      await imds.close();
    }
  });

  it('a bad answer and a refused connection name the endpoint and path', { timeout: 60_000 }, async () => {
    const imds = await startFakeImds('not-an-instance');
    try {
      const err = await new InstanceMetadataClient({ endpoint: imds.url }).instanceId().catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_IMDS_BAD_ANSWER' });
      expect((err as Error).message).toContain(
        `EC2 instance metadata service at ${imds.url}: /latest/meta-data/instance-id: not an EC2 instance id`,
      );
    } finally {
      await imds.close();
    }
    // A refused connection fails at once; the generous timeout only keeps a slow machine from turning it into a timeout.
    const err = await new InstanceMetadataClient({ endpoint: imds.url, timeoutMs: 20_000 })
      .instanceId()
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_IMDS_UNREACHABLE' });
    expect((err as Error).message).toMatch(
      /PUT \/latest\/api\/token failed: (ECONNREFUSED|UND_ERR_SOCKET|other side closed)/,
    );
  });
});

describe('registrar failures', () => {
  it('transient only for unreachable/throttled/5xx codes', () => {
    expect(describeRegistrarFailure(Object.assign(new Error('x'), { code: 'E_AWS_THROTTLED' })).transient).toBe(true);
    expect(describeRegistrarFailure(Object.assign(new Error('gone'), { code: 'E_AWS_LIFECYCLE_HOOK_GONE' }))).toEqual({
      code: 'E_AWS_LIFECYCLE_HOOK_GONE',
      message: 'gone',
      transient: false,
    });
    expect(describeRegistrarFailure('boom')).toEqual({ code: 'E_REGISTRAR', message: 'boom', transient: false });
  });
});
