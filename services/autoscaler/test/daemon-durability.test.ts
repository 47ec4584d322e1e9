import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@warmpool/queue';
import { RepeatedDecisionFilter } from '../src/daemon/repeated-decision-filter.js';
import { FileCheckpointStore } from '../src/daemon/checkpoint-store.js';
import type { DaemonDecisionRecord } from '../src/daemon/daemon-record.js';
import { DecisionLog } from '../src/daemon/decision-log.js';
import { FileSink } from '../src/daemon/file-sink.js';
import type { Leadership } from '../src/daemon/leadership.js';
import { DaemonHttpServer } from '../src/http/daemon-http-server.js';
import { parseConfigText } from '../src/config/load-config-file.js';
import { buildDaemon } from '../src/daemon/build-daemon.js';
import { createServer } from 'node:net';
import { FunctionHistory, MemorySink, T0, harness, perSecondFrom } from './support/daemon-harness.js';
import { StagedProvider } from './support/staged-provider.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-durability-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Demand in three stairs (replicas come up at three times: lead time measured), then a steady daily-ish wave. */
const stairs = (m: string, s: number): number =>
  m === 'a' ? 5 + 20 * Math.min(3, Math.max(0, Math.floor((s - T0 / 1000) / 30))) : 2;

describe('durable what matters (issue 16, finding 7)', () => {
  it("a restarted daemon keeps forecasting with its predecessor's demand steps and measured lead time (checkpoint), instead of ReactiveFallback with measuredLeadTimeS null", async () => {
    const store = new FileCheckpointStore(join(dir, 'restart', 'checkpoint.json'));
    const c1 = new ManualClock(T0);
    const provider = new StagedProvider({ a: 1, b: 1 }, () => c1.now(), { provisioning: 4, loading: 6, warming: 3 });
    // no history source: live demand only (the local world's daemon)
    const first = harness({
      clock: c1,
      provider,
      perSecond: perSecondFrom(c1, stairs),
      deps: { checkpoint: store, history: undefined },
    });
    await first.daemon.start();
    for (let i = 0; i <= 400; i++) await first.step(i === 0 ? 0 : 1000);
    const before = first.sink.decisions('a').at(-1)!;
    expect(before.measuredLeadTimeS).toBe(13);
    expect(before.reasons).not.toContain('ReactiveFallback');
    await first.daemon.stop();

    // the restart: a new process, same store, a few seconds later
    const c2 = new ManualClock(c1.now() + 5000);
    const second = harness({
      clock: c2,
      provider: new StagedProvider({ a: before.desired ?? 1, b: 1 }, () => c2.now()),
      perSecond: perSecondFrom(c2, stairs),
      deps: { checkpoint: store, history: undefined },
    });
    await second.daemon.start();
    await second.step(0);
    const after = second.sink.decisions('a')[0]!;
    expect(second.sink.records.find((r) => r.kind === 'daemon' && r.event === 'restored')).toBeDefined();
    expect(after.measuredLeadTimeS).toBe(13);
    expect(after.reasons).not.toContain('ReactiveFallback');
    expect(after.forecastUpperPerS).not.toBeNull();
    await second.daemon.stop();

    // without the checkpoint: what a restart did before
    const c3 = new ManualClock(c1.now() + 5000);
    const bare = harness({
      clock: c3,
      provider: new StagedProvider({ a: 1, b: 1 }, () => c3.now()),
      perSecond: perSecondFrom(c3, stairs),
      deps: { history: undefined },
    });
    await bare.daemon.start();
    await bare.step(0);
    expect(bare.sink.decisions('a')[0]!.measuredLeadTimeS).toBeNull();
    expect(bare.sink.decisions('a')[0]!.reasons).toContain('ReactiveFallback');
    await bare.daemon.stop();
  });

  it('the decision file rotates by size keeping N files, and quiet holds are written once per change', async () => {
    const file = join(dir, 'log', 'decisions.jsonl');
    const clock = new ManualClock(T0);
    const sink = new RepeatedDecisionFilter(new FileSink(file, { maxBytes: 16 * 1024, keepFiles: 2 }), {
      leaveOut: 'holds',
    });
    const memory = new MemorySink();
    const h = harness({
      clock,
      provider: new StagedProvider({ a: 1, b: 1 }, () => clock.now()),
      history: new FunctionHistory(() => 1),
      perSecond: perSecondFrom(clock, () => 1),
      deps: { log: new DecisionLog([sink, memory]) },
    });
    await h.daemon.start();
    for (let i = 0; i <= 300; i++) await h.step(i === 0 ? 0 : 1000);
    await h.daemon.stop();
    const decisions = memory.decisions();
    expect(decisions.length).toBeGreaterThan(500); // 2 models x 301 ticks reached the unfiltered sink
    const files = readdirSync(join(dir, 'log')).sort();
    const lines = files.flatMap((f) =>
      readFileSync(join(dir, 'log', f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { kind: string }),
    );
    const written = lines.filter((r) => r.kind === 'decision') as DaemonDecisionRecord[];
    // a steady 1/s for two models: holds that repeat the previous one are left out of the file
    expect(written.length).toBeLessThan(decisions.length / 5);
    for (const f of files) expect(statSync(join(dir, 'log', f)).size).toBeLessThanOrEqual(16 * 1024);
    expect(files.length).toBeLessThanOrEqual(3);
  });

  it('rotation keeps N files of at most maxBytes each', () => {
    const file = join(dir, 'rot', 'd.jsonl');
    const sink = new FileSink(file, { maxBytes: 2048, keepFiles: 3 });
    for (let i = 0; i < 400; i++)
      sink.write({
        kind: 'daemon',
        time: new Date(T0 + i).toISOString(),
        event: 'x',
        message: `line ${i} ${'y'.repeat(40)}`,
      });
    const files = readdirSync(join(dir, 'rot')).sort();
    expect(files).toEqual(['d.jsonl', 'd.jsonl.1', 'd.jsonl.2', 'd.jsonl.3']);
    for (const f of files) expect(statSync(join(dir, 'rot', f)).size).toBeLessThanOrEqual(2048);
    const last = readFileSync(file, 'utf8').trim().split('\n').at(-1)!;
    expect(last).toMatch(/line 399/);
  });
});

describe('health with meaning (issue 16, finding 6, the daemon)', () => {
  it('/livez answers while the lock is unreachable; /readyz says not ready and why; a leader is ready when provider, queue and history answer', async () => {
    const clock = new ManualClock(T0);
    let lockUp = false;
    let leading = false;
    const leadership: Leadership = {
      kind: 'test',
      identity: 'd1',
      isLeader: () => leading,
      fence: async () => undefined,
      ping: async () => {
        if (!lockUp) throw new Error('Redis at redis://127.0.0.1:1 unavailable');
      },
      start: () => undefined,
      stop: async () => undefined,
    };
    const http = new DaemonHttpServer({ host: '127.0.0.1', port: 0 });
    const provider = new StagedProvider({ a: 1, b: 1 }, () => clock.now());
    const history = new FunctionHistory(() => 5);
    const h = harness({
      clock,
      provider,
      history,
      perSecond: perSecondFrom(clock, () => 5),
      leadership,
      deps: { http, log: new DecisionLog([new MemorySink(), http.sink]) },
    });
    await h.daemon.start();
    const url = h.daemon.httpUrl!;
    const get = async (
      path: string,
    ): Promise<{
      status: number;
      body: { ready?: boolean; role?: string; checks?: Record<string, { ok: boolean; error?: string }> };
    }> => {
      const res = await fetch(url + path);
      return { status: res.status, body: (await res.json()) as never };
    };
    expect((await get('/livez')).status).toBe(200);
    expect((await get('/healthz')).status).toBe(200);
    const follower = await get('/readyz');
    expect(follower.status).toBe(503);
    expect(follower.body).toMatchObject({
      ready: false,
      role: 'follower',
      checks: { leaderElection: { ok: false, error: expect.stringMatching(/unavailable/) } },
    });
    lockUp = true;
    expect((await get('/readyz')).body).toMatchObject({ ready: true, role: 'follower' });
    leading = true;
    await h.step(0);
    expect((await get('/readyz')).body).toMatchObject({
      ready: true,
      role: 'leader',
      checks: { provider: { ok: true }, queue: { ok: true }, history: { ok: true } },
    });
    provider.failGetState.set('a', new Error('provider down'));
    history.fail = new Error('prometheus down');
    const sick = await get('/readyz');
    expect(sick.status).toBe(503);
    expect(sick.body.checks).toMatchObject({
      provider: { ok: false, error: 'provider down' },
      history: { ok: false, error: 'prometheus down' },
      queue: { ok: true },
    });
    expect((await get('/livez')).status).toBe(200);
    await h.daemon.stop();
  });

  it('warmpool run with Redis and the load balancer unreachable: /healthz and /livez say ok, /readyz does not (it said ok before)', async () => {
    // two loopback ports nobody listens on
    const closedPort = async (): Promise<number> =>
      new Promise((resolve) => {
        const srv = createServer().listen(0, '127.0.0.1', () => {
          const { port } = srv.address() as { port: number };
          srv.close(() => resolve(port));
        });
      });
    const lbPort = await closedPort();
    const redisPort = await closedPort();
    const yaml = `tickS: 1
http: { port: 0 }
provider: { kind: local, loadBalancerUrl: 'http://127.0.0.1:${lbPort}' }
leaderElection: { kind: redis-lock, url: 'redis://127.0.0.1:${redisPort}', leaseDurationS: 2 }
models:
  - name: a
    capacityPerReplicaPerS: 10
    target: { modelFile: a.onnx }
`;
    const config = parseConfigText(yaml, join(dir, 'unreachable', 'warmpool.yaml'));
    const clock = new ManualClock(T0);
    const { PassThrough } = await import('node:stream');
    const daemon = buildDaemon({
      config,
      env: { WARMPOOL_LB_TOKEN: 'secret' },
      stdout: new PassThrough(),
      clock,
      checkpoint: false,
      createLocalProvider: () => new StagedProvider({ a: 1 }, () => clock.now()),
      reconcileWithLoadBalancer: true,
    });
    await daemon.start();
    try {
      const url = daemon.httpUrl!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/livez`)).status).toBe(200);
      const res = await fetch(`${url}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        ready: false,
        role: 'follower',
        checks: { leaderElection: { ok: false } },
      });
    } finally {
      await daemon.stop();
    }
    // a sole daemon (it leads) whose load balancer is unreachable: the provider check fails
    const sole = parseConfigText(yaml.replace(/leaderElection: .*\n/, ''), join(dir, 'unreachable', 'warmpool.yaml'));
    const leader = buildDaemon({
      config: sole,
      env: { WARMPOOL_LB_TOKEN: 'secret' },
      stdout: new PassThrough(),
      clock,
      checkpoint: false,
      createLocalProvider: () => new StagedProvider({ a: 1 }, () => clock.now()),
      reconcileWithLoadBalancer: true,
    });
    await leader.start();
    try {
      await clock.advanceBy(1000);
      await leader.idle();
      const res = await fetch(`${leader.httpUrl!}/readyz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({
        ready: false,
        role: 'leader',
        checks: { provider: { ok: false }, queue: { ok: true } },
      });
      expect((await fetch(`${leader.httpUrl!}/livez`)).status).toBe(200);
    } finally {
      await leader.stop();
    }
  });
});
