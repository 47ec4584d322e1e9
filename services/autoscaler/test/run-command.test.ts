import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/main.js';
import { runCommand } from '../src/cli/run-command.js';
import { parseConfigText } from '../src/config/load-config-file.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import type { DaemonLogRecord } from '../src/daemon/daemon-record.js';
import { StagedProvider } from './support/staged-provider.js';

// integration tests over loopback HTTP / Redis: generous limits for a loaded machine (they take ~1 s)
vi.setConfig({ testTimeout: 30_000, hookTimeout: 30_000 });

let dir: string;
let lb: Server;
let lbUrl: string;
let demandCalls = 0;
/** The CSV history (t,count, 1-s bins) starts 10 minutes ago. */
const historyStartS = Math.floor(Date.now() / 1000) - 600;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'warmpool-run-'));
  // from 10 minutes ago to 10 minutes ahead, so the backfill window is covered whenever the test runs
  writeFileSync(join(dir, 'a.csv'), 't,count\n' + Array.from({ length: 1200 }, (_, t) => `${t},20`).join('\n') + '\n');
  // the local load balancer's /demand: 30 requests every second for every model
  lb = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    // its routing table (the daemon reconciles ready replicas with it): empty
    if (u.pathname === '/replicas') return void res.end(JSON.stringify({ replicas: [] }));
    demandCalls++;
    const seconds = Number(u.searchParams.get('seconds'));
    const nowS = Math.floor(Date.now() / 1000);
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        model: u.searchParams.get('model'),
        startMs: (nowS - seconds + 1) * 1000,
        bucketS: 1,
        counts: new Array(seconds).fill(30),
        total: 30 * seconds,
      }),
    );
  });
  await new Promise<void>((r) => lb.listen(0, '127.0.0.1', r));
  lbUrl = `http://127.0.0.1:${(lb.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => lb.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function yaml(minWarm: number, logFile: string): string {
  return `tickS: 0.05
provider: { kind: local, loadBalancerUrl: "${lbUrl}" }
history: { kind: csv, files: { a: ${join(dir, 'a.csv')} }, epochOffsetS: ${historyStartS}, backfillS: 300 }
decisionLog: { file: ${logFile}, format: json }
models:
  - name: a
    capacityPerReplicaPerS: 10
    minWarmReplicas: ${minWarm}
    leadTime: { provisionS: 1, loadS: 1, warmupS: 1 }
    stepS: 1
    target: { modelFile: a.onnx }
`;
}

function records(file: string): DaemonLogRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as DaemonLogRecord);
}

async function until(what: string, fn: () => boolean, maxMs = 10_000): Promise<void> {
  const t0 = Date.now();
  while (!fn()) {
    if (Date.now() - t0 > maxMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('warmpool run', () => {
  it('runs the daemon until SIGTERM: decisions to stdout and file, SIGHUP and file changes reload, bad config is reported and the last good one kept', async () => {
    const logFile = join(dir, 'decisions.jsonl');
    const cfg = join(dir, 'warmpool.yaml');
    writeFileSync(cfg, yaml(1, logFile));
    const signals = new EventEmitter();
    const stdout = new PassThrough();
    let printed = '';
    stdout.on('data', (b: Buffer) => (printed += b.toString()));
    let provider: StagedProvider | undefined;
    const done = runCommand(['--config', cfg], () => undefined, {
      env: {},
      stdout,
      signals: signals as never,
      watchFile: true,
      createLocalProvider: () =>
        (provider = new StagedProvider({ a: 1 }, Date.now, { provisioning: 0.1, loading: 0.1, warming: 0.1 })),
    });
    await until('decisions', () => records(logFile).filter((r) => r.kind === 'decision').length >= 3);
    // the backfill went through @warmpool/history's CSV adapter (createHistorySource), no gaps
    expect(records(logFile).find((r) => r.kind === 'daemon' && r.event === 'backfilled')).toMatchObject({
      model: 'a',
      detail: { steps: 300, missing: 0 },
    });
    // 30/s at 10/s per replica: it scales a up through the queue and the provider
    // the history says 20/s (2 replicas) and the live demand 30/s (3): which one the first tick sees first depends on
    // timing, so the first scale-up is to 2 or 3, and the live demand brings it to 3 within a few ticks
    await until('a scale-up', () => (provider?.applied.length ?? 0) > 0);
    expect(provider!.applied[0]).toMatchObject({ model: 'a' });
    expect(provider!.applied[0]!.replicas).toBeGreaterThanOrEqual(2);
    await until('a scale-up to the live demand', () =>
      provider!.applied.some((a) => a.model === 'a' && a.replicas >= 3),
    );
    expect(demandCalls).toBeGreaterThan(0);

    writeFileSync(cfg, 'tickS: -1\nmodels: []\n');
    signals.emit('SIGHUP');
    await until('rejected config', () => records(logFile).some((r) => r.kind === 'config' && r.event === 'rejected'));
    const rejected = records(logFile).find((r) => r.kind === 'config' && r.event === 'rejected');
    expect(rejected).toMatchObject({
      issues: [expect.stringMatching(/^tickS \(line 1\): got -1/), expect.stringMatching(/^models \(line 2\)/)],
    });
    const n = records(logFile).filter((r) => r.kind === 'decision').length;
    await until(
      'decisions after the rejected config',
      () => records(logFile).filter((r) => r.kind === 'decision').length > n + 2,
    );

    writeFileSync(cfg, yaml(2, logFile)); // the file watcher picks this up, no signal needed
    await until('reloaded config', () => records(logFile).some((r) => r.kind === 'config' && r.event === 'reloaded'));
    expect(records(logFile).find((r) => r.kind === 'config' && r.event === 'reloaded')).toMatchObject({
      detail: { changed: ['a'] },
    });

    signals.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(provider!.closed).toBe(true);
    const all = records(logFile);
    expect(all.at(-1)).toMatchObject({ kind: 'daemon', event: 'stopped' });
    expect(all.some((r) => r.kind === 'daemon' && r.event === 'stopping' && /^SIGTERM/.test(r.message))).toBe(true);
    // stdout (not a terminal) is JSON lines: the decision stream (decisions, outcomes) and the logger's lines for
    // everything else (level, component daemon, msg, and the record's fields); the file has the same records
    type Printed = {
      kind: string;
      action?: string;
      acted?: string;
      level?: string;
      component?: string;
      msg?: string;
      event?: string;
      time: string;
      model?: string;
    };
    const printedRecords = printed
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Printed);
    const plainHold = (r: { kind: string; action?: string; acted?: string; notes?: unknown }): boolean =>
      r.kind === 'decision' && r.action === 'hold' && r.acted === 'none' && !r.notes;
    expect(printedRecords.filter((r) => !plainHold(r)).length).toBe(all.filter((r) => !plainHold(r as never)).length);
    const logLines = printedRecords.filter((r) => r.kind !== 'decision' && r.kind !== 'outcome');
    expect(logLines.length).toBeGreaterThan(0);
    for (const l of logLines)
      expect(l).toMatchObject({
        level: expect.stringMatching(/^(debug|info|warn|error)$/),
        component: 'daemon',
        msg: expect.any(String),
        time: expect.any(String),
      });
    expect(logLines.find((l) => l.event === 'rejected')).toMatchObject({ kind: 'config', level: 'warn' });
    expect(printedRecords.filter((r) => r.kind === 'decision').every((r) => r.level === undefined)).toBe(true);
    // plain holds reach stdout only when the model's decision changed (the file keeps a heartbeat every 10 ticks)
    expect(printedRecords.filter(plainHold).length).toBeLessThanOrEqual(
      all.filter((r) => plainHold(r as never)).length,
    );
    const same = (x: object, y: object): boolean =>
      JSON.stringify({ ...x, time: 0, id: 0 }) === JSON.stringify({ ...y, time: 0, id: 0 });
    const printedDecisions = printedRecords.filter((r) => r.kind === 'decision');
    for (let i = 1; i < printedDecisions.length; i++)
      if (plainHold(printedDecisions[i]!)) expect(same(printedDecisions[i]!, printedDecisions[i - 1]!)).toBe(false);
    expect(signals.listenerCount('SIGHUP') + signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('--log-level: run --dry-run prints a repeated decision once at info and every one at debug; warn keeps info lines off stdout; a bad level exits 2', async () => {
    let err = '';
    expect(
      await main(
        ['run', '--config', join(dir, 'absent.yaml'), '--log-level', 'loud'],
        () => undefined,
        (s) => (err += s + '\n'),
      ),
    ).toBe(2);
    expect(err).toMatch(/--log-level: got "loud", expected one of trace, debug/);
    type Line = { kind?: string; level?: string; component?: string; event?: string };
    const dryRun = async (level: string): Promise<{ printed: Line[]; fileDecisions: number }> => {
      const logFile = join(dir, `dry-${level}.jsonl`);
      const cfg = join(dir, `dry-${level}.yaml`);
      writeFileSync(cfg, yaml(1, logFile));
      const signals = new EventEmitter();
      const stdout = new PassThrough();
      let printed = '';
      stdout.on('data', (b: Buffer) => (printed += b.toString()));
      const done = runCommand(['--config', cfg, '--dry-run', '--log-level', level], () => undefined, {
        env: {},
        stdout,
        signals: signals as never,
        watchFile: false,
        createLocalProvider: () => new StagedProvider({ a: 1 }, Date.now),
      });
      // --dry-run never scales: the same scale-up is decided every tick (the file keeps each one)
      await until('20 decisions', () => records(logFile).filter((r) => r.kind === 'decision').length >= 20);
      signals.emit('SIGTERM');
      expect(await done).toBe(0);
      const lines = printed
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Line);
      return { printed: lines, fileDecisions: records(logFile).filter((r) => r.kind === 'decision').length };
    };
    const info = await dryRun('info');
    const infoDecisions = info.printed.filter((r) => r.kind === 'decision').length;
    expect(infoDecisions).toBeGreaterThan(0);
    expect(infoDecisions).toBeLessThan(info.fileDecisions / 2);
    expect(info.printed.some((r) => r.component === 'daemon' && r.level === 'info' && r.event === 'started')).toBe(
      true,
    );
    const debug = await dryRun('debug');
    expect(debug.printed.filter((r) => r.kind === 'decision').length).toBeGreaterThanOrEqual(debug.fileDecisions);
    const warn = await dryRun('warn');
    expect(warn.printed.filter((r) => r.kind === 'decision').length).toBeGreaterThan(0);
    expect(warn.printed.filter((r) => r.level === 'info' || r.level === 'debug')).toEqual([]);
  });

  it('exits 2 without --config or with a bad config, 1 for the local provider without its token', async () => {
    let err = '';
    const run = (argv: string[]): Promise<number> =>
      main(
        argv,
        () => undefined,
        (s) => (err += s + '\n'),
      );
    expect(await run(['run'])).toBe(2);
    expect(err).toMatch(/--config( FILE)? is required/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'tickS: nope\n');
    expect(await run(['run', '--config', bad])).toBe(2);
    expect(err).toMatch(/tickS \(line 1\): got "nope"/);
    const local = join(dir, 'local.yaml');
    writeFileSync(local, yaml(1, join(dir, 'x.jsonl')));
    const saved = process.env.WARMPOOL_LB_TOKEN;
    delete process.env.WARMPOOL_LB_TOKEN;
    try {
      expect(await run(['run', '--config', local])).toBe(1);
    } finally {
      if (saved !== undefined) process.env.WARMPOOL_LB_TOKEN = saved;
    }
    expect(err).toMatch(/E_CONFIG: .*provider\.kind local needs WARMPOOL_LB_TOKEN/);
  });

  it('provider.kind local builds the LocalProcessProvider (warmpool-agent processes) with the token from the environment', async () => {
    const cfg = parseConfigText(
      yaml(1, join(dir, 'l.jsonl')).replace(
        'target: { modelFile: a.onnx }',
        'target: { modelFile: tiny-transformer, args: [--providers, cpu] }',
      ),
      join(dir, 'w.yaml'),
    );
    const out = new PassThrough();
    const daemon = buildDaemon({ config: cfg, env: { WARMPOOL_LB_TOKEN: 'secret' }, stdout: out });
    const provider = (
      daemon as unknown as { deps: { provider: { name: string; getState(m: string): Promise<{ desired: number }> } } }
    ).deps.provider;
    expect(provider.name).toMatch(/local/);
    expect((await provider.getState('a')).desired).toBe(0);
    await daemon.stop();
  });
});
