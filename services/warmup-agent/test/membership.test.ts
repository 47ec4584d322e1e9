// Issue 16, "Membership that converges" (agent side) and "Replica identity" (tokens never on argv): the agent's
// local registrar keeps its replica registered after a load balancer lost it, stops once deregistered, and reads its
// token from the environment or a file only. Loopback only; every wait bounded.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deriveReplicaToken, LoadBalancerServer } from '@warmpool/load-balancer';
import { CliArgs } from '../src/cli-args.js';
import { main } from '../src/main.js';
import { readLbToken, readRegistrationArgs } from '../src/registrar-args.js';
import { buildRegistrar } from '../src/registrar-factory.js';
import { captureIo, waitFor, writeSpecs } from './helpers.js';
import { SERVE_COMMAND } from '../src/agent-commands.js';

// serve's option table with --model optional: these tests read other options of it alone.
const SERVE_OPTIONS = {
  ...SERVE_COMMAND,
  options: { ...SERVE_COMMAND.options, model: { ...SERVE_COMMAND.options['model']!, required: false } },
};

const SECRET = 'membership-secret';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function until(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A replica's HTTP side: /readyz 200. */
async function readyServer(): Promise<string> {
  const s: Server = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ready":true}'),
  );
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  cleanups.push(
    () =>
      new Promise((r) => {
        s.closeAllConnections();
        s.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

describe('local registrar membership (finding 1: a replica the load balancer lost registers again)', () => {
  it('re-registers when its heartbeat finds itself missing, and never after deregistering', {
    timeout: 30_000,
  }, async () => {
    const lb = new LoadBalancerServer({ token: SECRET, pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    cleanups.push(() => lb.close());
    const url = await readyServer();
    const events: Array<Record<string, unknown>> = [];
    const built = await buildRegistrar(
      {
        kind: 'local',
        lbUrl,
        token: deriveReplicaToken(SECRET, 'r1'),
        retries: 0,
        retryDelayMs: 1,
        membershipCheckMs: 20,
      },
      {},
      (e) => events.push(e),
    );
    cleanups.push(() => built.close());
    const reg = { replicaId: 'r1', model: 'm', url, executionProvider: 'cpu' };
    await built.registrar!.heartbeat(reg); // while warming: nothing to check, nothing registered
    expect(lb.pool.get('r1')).toBeUndefined();
    await built.registrar!.register(reg);
    expect(lb.pool.get('r1')?.url).toBe(url);

    lb.pool.remove('r1'); // the load balancer lost it (restarted, or forgot it after a long outage)
    await until('re-registration', () => events.some((e) => e['event'] === 're-registered'));
    expect(lb.pool.get('r1')?.url).toBe(url);
    expect(events.find((e) => e['event'] === 're-registered')).toMatchObject({ replicaId: 'r1' });

    await built.registrar!.deregister(reg);
    expect(lb.pool.get('r1')).toBeUndefined();
    const seen = events.length;
    await new Promise((r) => setTimeout(r, 200)); // ten check periods: the loop is stopped, nothing comes back
    expect(lb.pool.get('r1')).toBeUndefined();
    expect(events.length).toBe(seen);
  });
});

describe('serve --lb: the real agent keeps its replica registered', () => {
  it('registers with its own credential, and registers again when the load balancer lost it', {
    timeout: 120_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warmpool-membership-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const specs = writeSpecs(dir);
    const lb = new LoadBalancerServer({ token: SECRET, pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    cleanups.push(() => lb.close());
    const io = captureIo();
    const argv = [
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
      lbUrl,
      '--replica-id',
      'tiny-7',
      '--heartbeat-s',
      '0.05',
    ];
    const done = main(argv, io, { WARMPOOL_LB_TOKEN: deriveReplicaToken(SECRET, 'tiny-7') });
    try {
      await waitFor('serving', () => io.events().some((e) => e['event'] === 'serving'), 90_000);
      expect(lb.pool.get('tiny-7')?.ready).toBe(true);
      lb.pool.remove('tiny-7'); // the load balancer restarted / forgot it
      await waitFor('re-registered', () => io.events().some((e) => e['event'] === 're-registered'), 30_000);
      expect(lb.pool.get('tiny-7')?.model).toBe('tiny');
    } finally {
      io.signal('SIGTERM');
      expect(await done).toBe(0);
    }
    expect(lb.pool.get('tiny-7')).toBeUndefined(); // deregistered on SIGTERM, not registered again after
  });
});

describe('membership check failures', () => {
  it('a re-registration refused for a while (replica not ready) is retried at later beats, not given up', {
    timeout: 30_000,
  }, async () => {
    const lb = new LoadBalancerServer({ token: SECRET, pool: { slowStartMs: 0 }, health: { intervalMs: 3_600_000 } });
    const { url: lbUrl } = await lb.listen();
    cleanups.push(() => lb.close());
    let ready = true;
    const s: Server = createServer((_req, res) =>
      res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end('{}'),
    );
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    cleanups.push(
      () =>
        new Promise((r) => {
          s.closeAllConnections();
          s.close(() => r());
        }),
    );
    const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
    const failures: string[] = [];
    const built = await buildRegistrar(
      {
        kind: 'local',
        lbUrl,
        token: deriveReplicaToken(SECRET, 'r2'),
        retries: 0,
        retryDelayMs: 1,
        membershipCheckMs: 20,
      },
      {},
      (e) => {
        if (e['event'] === 'membership-check-failed') failures.push(String(e['error']));
      },
    );
    cleanups.push(() => built.close());
    const reg = { replicaId: 'r2', model: 'm', url, executionProvider: 'cpu' };
    await built.registrar!.register(reg);
    ready = false;
    lb.pool.remove('r2'); // forgotten while not ready: re-registration is refused (409) for now
    await until('two refused re-registrations', () => failures.length >= 2);
    expect(failures[0]).toBe('E_LB_REJECTED');
    ready = true;
    await until('re-registration once ready', () => lb.pool.get('r2') !== undefined);
    await built.registrar!.deregister(reg);
  });
});

describe('load balancer token (finding 4: never on the command line)', () => {
  it('comes from WARMPOOL_LB_TOKEN or --token-file; --token is refused with the way to pass it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warmpool-token-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'token');
    writeFileSync(file, 'from-file\n');
    const fromFile = new CliArgs(['--token-file', file], SERVE_OPTIONS);
    expect(readLbToken(fromFile, { WARMPOOL_LB_TOKEN: 'from-env' })).toBe('from-file');
    expect(fromFile.issues).toEqual([]);
    const fromEnv = new CliArgs([], SERVE_OPTIONS);
    expect(readLbToken(fromEnv, { WARMPOOL_LB_TOKEN: 'from-env' })).toBe('from-env');
    const onArgv = new CliArgs(['--token', 'visible-in-ps'], SERVE_OPTIONS);
    readLbToken(onArgv, {});
    expect(onArgv.issues).toMatchObject([
      {
        path: '--token',
        value: '(hidden)',
        allowed: expect.stringContaining('WARMPOOL_LB_TOKEN or pass --token-file'),
      },
    ]);
    const missing = new CliArgs(['--token-file', join(dir, 'absent')], SERVE_OPTIONS);
    expect(readLbToken(missing, {})).toBeUndefined();
    expect(missing.issues[0]).toMatchObject({ path: '--token-file', allowed: expect.stringContaining('ENOENT') });
    const args = new CliArgs(['--lb', 'http://127.0.0.1:8080', '--heartbeat-s', '3'], SERVE_OPTIONS);
    expect(readRegistrationArgs(args, { WARMPOOL_LB_TOKEN: 't' }).registrar).toMatchObject({
      kind: 'local',
      token: 't',
      membershipCheckMs: 3000,
    });
  });
});
