import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ValidationError } from '@warmpool/domain';
import { LocalProviderError } from '../src/errors/local-provider-error.js';
import { LocalProcessProvider } from '../src/local-process-provider.js';
import type { LocalProcessProviderOptions, LocalReplicaTemplate } from '../src/local-provider-options.js';
import { stageFromReadyz } from '../src/readiness-probe.js';
import { agentBinPath, alive, tempWorld } from './agent-fixture.js';

const MODEL = 'tiny-transformer';
const world = tempWorld('warmpool-local-provider-');
afterAll(() => world.remove());

let provider: LocalProcessProvider | undefined;
let run = 0;
afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

function make(
  template: Partial<LocalReplicaTemplate> = {},
  options: Partial<LocalProcessProviderOptions> = {},
): LocalProcessProvider {
  provider = new LocalProcessProvider({
    agentBinPath: agentBinPath(),
    runDir: join(world.dir, `run-${++run}`),
    models: [{ model: MODEL, agentArgs: world.agentArgs, drainTimeoutMs: 5_000, ...template }],
    ...options,
  });
  return provider;
}

const seqOf = (id: string): number => Number(id.slice(id.lastIndexOf('-') + 1));
let keys = 0;
const scale = (p: LocalProcessProvider, replicas: number) =>
  p.scale({ model: MODEL, replicas, idempotencyKey: `k-${++keys}`, reason: 'test', message: `to ${replicas}` });

describe('LocalProcessProvider', () => {
  it('goes provisioning → loading/warming → ready with stage timestamps in order and per-replica logs', async () => {
    const phases = new Set<string>();
    const p = make(
      { provisionDelayMs: 300 },
      { log: (e) => e['event'] === 'replica-phase' && phases.add(String(e['phase'])) },
    );
    await scale(p, 1);
    const [first] = p.describe(MODEL);
    expect(first!.phase).toBe('provisioning');
    const state = await p.waitUntilReady(MODEL, 15_000);
    const r = state.replicas[0]!;
    expect(r.processStartedAtMs! - r.requestedAtMs).toBeGreaterThanOrEqual(300);
    expect(r.warmingAtMs!).toBeGreaterThanOrEqual(r.processStartedAtMs!);
    expect(r.readyAtMs!).toBeGreaterThanOrEqual(r.warmingAtMs!);
    expect(r.loadMs).toBeGreaterThanOrEqual(0);
    expect(r.registered).toBe(false); // no load balancer configured
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(alive(r.pid)).toBe(true);
    expect([...phases]).toEqual(expect.arrayContaining(['loading', 'warming', 'ready']));
    expect(readFileSync(r.stdoutLog, 'utf8')).toContain('"event":"listening"');
    await p.close();
    expect(alive(r.pid)).toBe(false);
    await expect(p.getState(MODEL)).rejects.toMatchObject({ code: 'E_PROVIDER_CLOSED' });
  });

  it('a log level above info in the environment does not silence the agent lines it follows (listening, serving)', async () => {
    const p = make({}, { env: { WARMPOOL_LOG_LEVEL: 'error' } });
    await scale(p, 1);
    const state = await p.waitUntilReady(MODEL, 30_000);
    const log = readFileSync(state.replicas[0]!.stdoutLog, 'utf8');
    expect(log).toMatch(/"level":"info".*"event":"listening"/);
  }, 45_000);

  it('reports a crashed replica as failed with the reason and replaces it on the next scale', async () => {
    const p = make();
    await scale(p, 1);
    const [r] = (await p.waitUntilReady(MODEL, 15_000)).replicas;
    process.kill(r!.pid!, 'SIGKILL');
    const failed = await p.waitFor(MODEL, (s) => s.replicas[0]!.phase === 'failed', 5_000);
    expect(failed.replicas[0]!.reason).toMatch(/exited on SIGKILL/);
    expect(failed.desired).toBe(1);
    await scale(p, 1); // a new decision with the same size replaces it
    const again = await p.waitUntilReady(MODEL, 15_000);
    expect(again.replicas).toHaveLength(1);
    expect(again.replicas[0]!.id).not.toBe(r!.id);
  });

  it("a replica whose agent cannot start fails with the agent's own error", async () => {
    const p = make({ modelSource: join(world.dir, 'missing.onnx') });
    await scale(p, 1);
    const s = await p.waitFor(MODEL, (st) => st.replicas[0]!.phase === 'failed', 10_000);
    expect(s.replicas[0]!.exitCode).toBe(2);
    expect(s.replicas[0]!.reason).toMatch(/exited with code 2: .*E_MODEL_MISSING.*missing\.onnx/);
  });

  it('scales down the newest not-ready replicas first, then the newest ready ones', async () => {
    const p = make({ provisionDelayMs: 1_500 });
    await scale(p, 1);
    const oldest = (await p.waitUntilReady(MODEL, 15_000)).replicas[0]!;
    await scale(p, 3); // two more, still provisioning
    const [, second, third] = p.describe(MODEL);
    await scale(p, 2);
    expect(p.describe(MODEL).find((r) => r.id === third!.id)?.phase ?? 'gone').toMatch(/draining|gone/);
    await scale(p, 1);
    const live = (await p.getState(MODEL)).replicas.filter((r) => r.phase !== 'draining');
    expect(live.map((r) => r.id)).toEqual([oldest.id]);
    expect(second!.phase).toBe('provisioning');
    // ready ones go newest first too
    await scale(p, 3);
    const three = await p.waitUntilReady(MODEL, 15_000);
    const newest = [...three.replicas].filter((r) => r.phase === 'ready').sort((a, b) => seqOf(b.id) - seqOf(a.id))[0]!;
    await scale(p, 2);
    const after = (await p.getState(MODEL)).replicas.filter((r) => r.phase === 'ready').map((r) => r.id);
    expect(after).toHaveLength(2);
    expect(after).toContain(oldest.id);
    expect(after).not.toContain(newest.id);
  });

  it('SIGKILLs a replica that does not drain within the drain timeout', async () => {
    const p = make(
      { drainTimeoutMs: 300 },
      { agentBinPath: join(import.meta.dirname, 'fixtures', 'stubborn-agent.mjs') },
    );
    await scale(p, 1);
    const [r] = (await p.waitUntilReady(MODEL, 10_000)).replicas;
    await scale(p, 0);
    expect((await p.getState(MODEL)).replicas[0]!.phase).toBe('draining');
    await p.waitFor(MODEL, (s) => s.replicas.length === 0, 5_000);
    expect(alive(r!.pid)).toBe(false);
    expect(readFileSync(r!.stdoutLog, 'utf8')).toContain('ignoring-sigterm');
  });

  it('takes ports from its range, skipping busy ones, and fails a replica when none is left', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const busyPort = (busy.address() as { port: number }).port;
    try {
      const p = make({ portRange: { first: busyPort, last: busyPort + 1 } });
      await scale(p, 2);
      await p.waitFor(
        MODEL,
        (s) => s.replicas.some((r) => r.phase === 'failed') && s.replicas.some((r) => r.phase === 'ready'),
        15_000,
      );
      const rs = p.describe(MODEL);
      expect(rs.find((r) => r.phase === 'ready')!.url).toBe(`http://127.0.0.1:${busyPort + 1}`);
      expect(rs.find((r) => r.phase === 'failed')!.reason).toMatch(/no free port/);
    } finally {
      busy.close();
    }
  });

  it('rejects bad options with every problem named, and unknown models or counts over the limit with typed errors', async () => {
    let err: unknown;
    try {
      new LocalProcessProvider({
        agentBinPath: join(world.dir, 'nope.js'),
        runDir: join(world.dir, 'x'),
        models: [
          { model: 'Bad Name', provisionDelayMs: -1 },
          { model: 'ok', lbUrl: 'ftp://x', agentArgs: ['--port', '1'], portRange: { first: 10, last: 5 } },
        ],
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path)).toEqual([
      'agentBinPath',
      'models[0].model',
      'models[0].provisionDelayMs',
      'models[1].agentArgs',
      'models[1].lbUrl',
      'models[1].lbToken',
      'models[1].portRange',
    ]);
    const p = make({ maxReplicas: 2 });
    await expect(p.getState('other')).rejects.toBeInstanceOf(LocalProviderError);
    await expect(scale(p, 3)).rejects.toThrow(/\[0, 2\]/);
    expect((await p.getState(MODEL)).desired).toBe(0);
  });

  it('maps /readyz answers to stages', () => {
    expect(stageFromReadyz(200, { ready: true }, 'm').stage).toBe('ready');
    expect(stageFromReadyz(503, { ready: false, models: { m: { phase: 'warming' } } }, 'm').stage).toBe('warming');
    expect(stageFromReadyz(503, { ready: false, models: { m: { phase: 'loading' } } }, 'm').stage).toBe('loading');
    expect(stageFromReadyz(503, { ready: false, models: { m: { phase: 'failed', reason: 'oom' } } }, 'm')).toEqual({
      stage: 'failed',
      reason: 'oom',
    });
    expect(stageFromReadyz(502, undefined, 'm').stage).toBe('loading');
  });
});

describe('LocalProcessProvider owner exit', () => {
  it('kills its replicas when the owning process exits without close()', async () => {
    const script = join(world.dir, 'owner.mjs');
    const dist = join(import.meta.dirname, '..', 'dist', 'index.js');
    writeFileSync(
      script,
      `import { LocalProcessProvider } from ${JSON.stringify(dist)};
const p = new LocalProcessProvider({ agentBinPath: ${JSON.stringify(agentBinPath())}, runDir: ${JSON.stringify(join(world.dir, 'owner-run'))},
  models: [{ model: 'tiny-transformer', agentArgs: ${JSON.stringify(world.agentArgs)} }] });
await p.scale({ model: 'tiny-transformer', replicas: 1, idempotencyKey: 'k', reason: 'r', message: 'm' });
const s = await p.waitUntilReady('tiny-transformer', 15000);
console.log(JSON.stringify({ pid: s.replicas[0].pid }));
process.exit(0);
`,
    );
    const out = execFileSync(process.execPath, [script], { encoding: 'utf8', timeout: 20_000 });
    const { pid } = JSON.parse(out.trim().split('\n').pop()!) as { pid: number };
    expect(pid).toBeGreaterThan(0);
    // killed at once; reaping by the new parent (init) can take a moment
    for (let i = 0; i < 40 && alive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    const survived = alive(pid);
    if (survived) process.kill(pid, 'SIGKILL');
    expect(survived).toBe(false);
  });
});

describe('LocalProcessProvider: no orphans when its daemon is SIGKILLed (issue 16, finding 5)', () => {
  /** Starts an owner process with one ready replica; resolves with both pids. Bounded by timeouts. */
  async function ownerWithReplica(
    runDir: string,
    extra: string,
  ): Promise<{ owner: import('node:child_process').ChildProcess; ownerPid: number; pid: number }> {
    const { spawn } = await import('node:child_process');
    const script = join(world.dir, `owner-${++run}.mjs`);
    const dist = join(import.meta.dirname, '..', 'dist', 'index.js');
    writeFileSync(
      script,
      `import { LocalProcessProvider } from ${JSON.stringify(dist)};
const p = new LocalProcessProvider({ agentBinPath: ${JSON.stringify(agentBinPath())}, runDir: ${JSON.stringify(runDir)},
  models: [{ model: 'tiny-transformer', agentArgs: ${JSON.stringify(world.agentArgs)}, drainTimeoutMs: 2000 }]${extra} });
await p.scale({ model: 'tiny-transformer', replicas: 1, idempotencyKey: 'k', reason: 'r', message: 'm' });
const s = await p.waitUntilReady('tiny-transformer', 20000);
console.log(JSON.stringify({ pid: s.replicas[0].pid }));
setInterval(() => {}, 1000);
`,
    );
    const owner = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('owner did not report a ready replica within 30 s')), 30_000);
      let out = '';
      owner.stdout!.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /\{"pid":(\d+)\}/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      owner.on('exit', (code) => reject(new Error(`owner exited with ${code}`)));
    });
    return { owner, ownerPid: owner.pid!, pid };
  }

  async function gone(pid: number, withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const survived = alive(pid);
    if (survived) process.kill(pid, 'SIGKILL');
    return !survived;
  }

  it('the replicas of a SIGKILLed owner end with it (the watchdog ends them)', async () => {
    const runDir = join(world.dir, 'killed-owner');
    const { owner, pid } = await ownerWithReplica(runDir, '');
    owner.kill('SIGKILL');
    expect(await gone(pid, 15_000)).toBe(true);
  }, 60_000);

  it("a provider starting on the run folder ends the replicas a killed owner left running (state file), and leaves a live owner's alone", async () => {
    const runDir = join(world.dir, 'orphans');
    const { owner, ownerPid, pid } = await ownerWithReplica(runDir, ', reaper: false');
    const entries = JSON.parse(readFileSync(join(runDir, 'replicas.json'), 'utf8')) as {
      replicas: { pid: number; replicaId: string; ownerPid: number; port: number; startedAtMs: number }[];
    };
    expect(entries.replicas).toEqual([
      expect.objectContaining({ pid, ownerPid, replicaId: expect.stringMatching(/^tiny-transformer-/) }),
    ]);
    // while its owner lives, another provider on the same folder leaves it alone
    const beside = new LocalProcessProvider({
      agentBinPath: agentBinPath(),
      runDir,
      models: [{ model: MODEL, agentArgs: world.agentArgs }],
      reaper: false,
    });
    expect(beside.reclaimed.ended).toEqual([]);
    expect(beside.reclaimed.othersLive.map((e) => e.pid)).toEqual([pid]);
    await beside.close();
    owner.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(alive(pid)).toBe(true); // no watchdog: orphaned, still serving
    provider = new LocalProcessProvider({
      agentBinPath: agentBinPath(),
      runDir,
      models: [{ model: MODEL, agentArgs: world.agentArgs, drainTimeoutMs: 2000 }],
    });
    expect(provider.reclaimed.ended.map((e) => e.pid)).toEqual([pid]);
    expect(await gone(pid, 15_000)).toBe(true);
  }, 60_000);
});
