// The fault suite's daemon-level soak (`npm run bench:chaos`; a short form runs in CI as
// services/autoscaler/test/chaos-soak.test.ts). Loopback only, every loop bounded by the run's duration.
//
// Two daemons (bench/chaos-daemon.js, real processes) share a private redis-server (another loopback port, no
// persistence: a restart loses the lock and the fencing counter) for leader election; each has the in-process queue,
// the local provider (stand-in replicas, bench/chaos-fake-agent.pl) and N models. During the run:
//   - the leader is SIGKILLed every `leaderKillEveryS` and restarted 2 s later (same run folder and checkpoint);
//   - redis-server is killed and restarted every `redisRestartEveryS`;
//   - one replica of the leader is SIGKILLed every `replicaKillEveryS`.
// Then everything is stopped and the run is judged:
//   doubleScaleUps  scales that reached a provider twice for one job key, or under a fencing token lower than one
//                   already used (a stale or second leader acting) — from the providers' ledger;
//   lostScaleJobs   jobs a daemon enqueued that never ended (completed, failed, skipped, deferred to a leader) though
//                   the daemon lived on for two ticks;
//   orphans         stand-in replicas of a SIGKILLed daemon still alive 3 s later (before its slot restarts and its
//                   provider ends leftovers from the state file) or 15 s later, and any alive at the end;
//   rss             RSS growth of the longest-lived daemon process from the end of warm-up to its end (the bound,
//                   judged on the least-squares trend through every sample, `trendGrowthPct`; `growthPct` is the
//                   last sample over the first, which the GC's heap swing dominates);
//                   beside it the JS heap in use after a major GC over the same span (`heapAfterGc`, from the
//                   daemon's own memory lines), which tells retained growth from GC heap sizing and allocator noise;
//   takeoverS       from a leader SIGKILL to the other daemon's election (bound: two lease durations).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { linearRegression } from 'simple-statistics';
import { alive } from './bench-support.js';

const here = new URL('.', import.meta.url).pathname;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function rssKb(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Stand-in replicas of this soak running now (their command line names the fake agent and `--chaos-run TAG`). */
function fakeAgents(tag) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const args = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a.endsWith('chaos-fake-agent.pl')) && args[args.indexOf('--chaos-run') + 1] === tag)
        out.push({ pid: Number(d), replicaId: args[args.indexOf('--replica-id') + 1] });
    } catch {
      // gone
    }
  }
  return out;
}

function readJsonLines(file) {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l)];
      } catch {
        return [];
      }
    });
}

class RedisServer {
  constructor(port, dir) {
    this.port = port;
    this.dir = dir;
    this.child = undefined;
  }
  async start() {
    this.child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      const up = await new Promise((resolve) => {
        const s = createServer();
        s.once('error', () => resolve(true));
        s.listen(this.port, '127.0.0.1', () => s.close(() => resolve(false)));
      });
      if (up) return;
      await sleep(50);
    }
    throw new Error(`redis-server did not listen on ${this.port} within 5 s`);
  }
  async kill() {
    const c = this.child;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((resolve) => c.once('exit', resolve));
    c.kill('SIGKILL');
    await exited;
  }
}

class DaemonSlot {
  constructor(name, o, dir, redisUrl) {
    this.name = name;
    this.dir = dir;
    this.runDir = join(dir, `run-${name}`);
    this.o = o;
    this.redisUrl = redisUrl;
    this.incarnation = 0;
    this.proc = undefined;
    this.events = [];
    this.lives = [];
  }
  get leading() {
    const last = [...this.events]
      .reverse()
      .find((e) => e.pid === this.proc?.pid && (e.type === 'elected' || e.type === 'lost'));
    return this.proc !== undefined && last?.type === 'elected';
  }
  start() {
    const identity = `${this.name}-${++this.incarnation}`;
    const logFile = join(this.dir, `${identity}.jsonl`);
    const opts = {
      identity,
      runTag: this.o.runTag,
      models: this.o.models,
      redisUrl: this.redisUrl,
      runDir: this.runDir,
      logFile,
      ledgerFile: join(this.dir, 'ledger.jsonl'),
      checkpointFile: join(this.dir, 'checkpoint.json'),
      tickS: this.o.tickS,
      stepS: this.o.stepS,
      leaseMs: this.o.leaseMs,
      provisionDelayMs: this.o.provisionDelayMs,
      demand: { hotEvery: this.o.hotEvery, periodS: this.o.periodS },
    };
    const proc = spawn(process.execPath, [join(here, 'chaos-daemon.js')], {
      env: { ...process.env, CHAOS_DAEMON: JSON.stringify(opts) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const life = {
      identity,
      pid: proc.pid,
      logFile,
      startedAtMs: Date.now(),
      endedAtMs: undefined,
      killedAtMs: undefined,
      rss: [],
      memory: [],
      stderr: '',
    };
    this.lives.push(life);
    let buf = '';
    proc.stdout.on('data', (c) => {
      buf += c.toString();
      for (let n = buf.indexOf('\n'); n >= 0; n = buf.indexOf('\n')) {
        const line = buf.slice(0, n);
        buf = buf.slice(n + 1);
        try {
          const e = JSON.parse(line);
          if (e.type === 'memory') life.memory.push(e);
          else this.events.push(e);
        } catch {
          // not an event
        }
      }
    });
    proc.stderr.on('data', (c) => (life.stderr = (life.stderr + c.toString()).slice(-2000)));
    proc.on('exit', () => (life.endedAtMs = Date.now()));
    this.proc = proc;
    this.life = life;
    return life;
  }
  sampleRss() {
    if (!this.proc || !alive(this.proc.pid)) return;
    const kb = rssKb(this.proc.pid);
    if (kb !== undefined) this.life.rss.push({ atMs: Date.now(), kb });
  }
  /** Pids of this slot's replicas, from its provider's state file. */
  replicaPids() {
    try {
      const f = JSON.parse(readFileSync(join(this.runDir, 'replicas.json'), 'utf8'));
      return (f.replicas ?? [])
        .filter((e) => e.ownerPid === this.proc?.pid)
        .map((e) => ({ pid: e.pid, replicaId: e.replicaId }));
    } catch {
      return [];
    }
  }
  async sigkill() {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    this.life.killedAtMs = Date.now();
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGKILL');
    await exited;
    this.proc = undefined;
  }
  async stop(timeoutMs = 30_000) {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(t);
    this.proc = undefined;
  }
}

export const CHAOS_DEFAULTS = {
  durationS: 1800,
  models: 1000,
  hotEvery: 50,
  periodS: 300,
  tickS: 5,
  stepS: 10,
  leaseMs: 15_000,
  provisionDelayMs: 2000,
  leaderKillEveryS: 300,
  redisRestartEveryS: 420,
  replicaKillEveryS: 30,
  warmupS: 180,
};

/** Runs the soak; resolves with the judged numbers. `onProgress` gets one line per chaos event. */
export async function runChaos(options = {}, onProgress = () => undefined) {
  const o = { ...CHAOS_DEFAULTS, ...options };
  const dir = o.dir ?? join(tmpdir(), `warmpool-chaos-${process.pid}-${Date.now()}`);
  o.runTag = `${process.pid}-${Date.now()}`;
  mkdirSync(dir, { recursive: true });
  const redis = new RedisServer(await freePort(), dir);
  await redis.start();
  const redisUrl = `redis://127.0.0.1:${redis.port}`;
  const slots = [new DaemonSlot('a', o, dir, redisUrl), new DaemonSlot('b', o, dir, redisUrl)];
  const startedAtMs = Date.now();
  const endAtMs = startedAtMs + o.durationS * 1000;
  const kills = [];
  const orphanChecks = [];
  let redisRestarts = 0;
  let replicaKills = 0;
  const log = (m) => onProgress(`[${((Date.now() - startedAtMs) / 1000).toFixed(0).padStart(5)} s] ${m}`);
  try {
    for (const s of slots) s.start();
    let nextLeaderKill = startedAtMs + o.leaderKillEveryS * 1000;
    let nextRedis = startedAtMs + o.redisRestartEveryS * 1000;
    let nextReplicaKill = startedAtMs + o.replicaKillEveryS * 1000;
    let nextRss = startedAtMs;
    // bounded: one pass per 200 ms until the end of the run
    for (let pass = 0; Date.now() < endAtMs && pass < (o.durationS * 1000) / 200 + 10; pass++) {
      const now = Date.now();
      if (now >= nextRss) {
        for (const s of slots) s.sampleRss();
        nextRss = now + 5000;
      }
      if (now >= nextLeaderKill) {
        nextLeaderKill = now + o.leaderKillEveryS * 1000;
        const leader = slots.find((s) => s.leading);
        if (leader) {
          const replicas = leader.replicaPids();
          const identity = leader.life.identity;
          await leader.sigkill();
          kills.push({ identity, atMs: Date.now(), other: slots.find((s) => s !== leader).life.identity, replicas });
          log(`SIGKILL leader ${identity} (${replicas.length} replicas)`);
          const check = { dueAtMs: Date.now() + 15_000, replicas, identity };
          orphanChecks.push(check);
          // before the slot restarts (its provider would end what is left from the state file): what the watchdog left
          setTimeout(() => {
            check.aliveAtRestart = replicas.filter((r) =>
              fakeAgents(o.runTag).some((a) => a.pid === r.pid && a.replicaId === r.replicaId),
            ).length;
            if (check.aliveAtRestart)
              log(`${check.aliveAtRestart} replicas of ${identity} still alive 3 s after its SIGKILL`);
            leader.start();
          }, 3000);
        }
      }
      if (now >= nextRedis) {
        nextRedis = now + o.redisRestartEveryS * 1000;
        await redis.kill();
        await sleep(1000);
        await redis.start();
        redisRestarts++;
        log('redis-server killed and restarted (its data lost)');
      }
      if (now >= nextReplicaKill) {
        nextReplicaKill = now + o.replicaKillEveryS * 1000;
        const leader = slots.find((s) => s.leading);
        const victims = leader ? leader.replicaPids().filter((r) => alive(r.pid)) : [];
        if (victims.length > 0) {
          const v = victims[replicaKills % victims.length];
          try {
            process.kill(v.pid, 'SIGKILL');
            replicaKills++;
            log(`SIGKILL replica ${v.replicaId}`);
          } catch {
            // gone meanwhile
          }
        }
      }
      for (const c of orphanChecks) {
        if (c.done || Date.now() < c.dueAtMs) continue;
        c.done = true;
        c.survivors = c.replicas.filter((r) =>
          fakeAgents(o.runTag).some((a) => a.pid === r.pid && a.replicaId === r.replicaId),
        );
        if (c.survivors.length) log(`ORPHANS of ${c.identity}: ${c.survivors.map((r) => r.replicaId).join(', ')}`);
      }
      await sleep(200);
    }
  } finally {
    await Promise.all(slots.map((s) => s.stop()));
    await redis.kill();
  }
  await sleep(3000);
  const leftAtEnd = fakeAgents(o.runTag);
  for (const a of leftAtEnd) {
    try {
      process.kill(a.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  return judge({ o, dir, slots, kills, orphanChecks, leftAtEnd, redisRestarts, replicaKills, startedAtMs });
}

function judge({ o, dir, slots, kills, orphanChecks, leftAtEnd, redisRestarts, replicaKills, startedAtMs }) {
  const ledger = readJsonLines(join(dir, 'ledger.jsonl'));
  // The same job applied twice by one daemon's provider; a key applied again by the next leader is not a double (the
  // killed leader's replicas ended with it, so the new leader's provider starts from what it has).
  const byKey = new Map();
  for (const e of ledger) byKey.set(`${e.identity} ${e.key}`, (byKey.get(`${e.identity} ${e.key}`) ?? 0) + 1);
  const duplicateKeys = [...byKey.values()].filter((n) => n > 1).length;
  const reappliedAfterTakeover =
    new Set(ledger.map((e) => e.key)).size < ledger.length
      ? ledger.length - new Set(ledger.map((e) => e.key)).size - duplicateKeys
      : 0;
  // Two leaders acting: a scale applied under a token lower than one already used, or not the token of the latest
  // election at that time (a follower, or a leader whose term was over).
  const terms = slots
    .flatMap((sl) => sl.events)
    .filter((e) => e.type === 'elected')
    .sort((a, b) => a.atMs - b.atMs);
  let staleTokenScales = 0;
  let maxToken = 0;
  for (const e of ledger) {
    const term = terms.filter((x) => x.atMs <= e.atMs + 5).at(-1);
    if (e.token < maxToken || (term && e.token !== term.token)) staleTokenScales++;
    maxToken = Math.max(maxToken, e.token);
  }
  const lives = slots.flatMap((s) => s.lives);
  let enqueued = 0;
  const lost = [];
  for (const life of lives) {
    const records = readJsonLines(life.logFile);
    const ended = new Set(
      records
        .filter((r) => r.kind === 'job' && ['completed', 'failed', 'skipped', 'deferred'].includes(r.event))
        .map((r) => r.jobId),
    );
    const endMs = life.killedAtMs ?? life.endedAtMs ?? Date.now();
    for (const r of records) {
      if (r.kind !== 'decision' || r.acted !== 'enqueued') continue;
      enqueued++;
      if (ended.has(r.jobId)) continue;
      if (life.killedAtMs !== undefined && Date.parse(r.time) > endMs - 2 * o.tickS * 1000) continue; // in flight at the kill
      lost.push({ identity: life.identity, jobId: r.jobId });
    }
  }
  // from the SIGKILL to the first election of any other daemon process (the survivor, or the killed slot restarted)
  const elections = slots
    .flatMap((sl) => sl.events)
    .filter((e) => e.type === 'elected')
    .sort((a, b) => a.atMs - b.atMs);
  const takeovers = kills.map((k) => {
    const next = elections.find((e) => e.atMs >= k.atMs && e.identity !== k.identity);
    return next ? (next.atMs - k.atMs) / 1000 : null;
  });
  const warmupMs = o.warmupS * 1000;
  const measured = lives
    .map((l) => ({ l, samples: l.rss.filter((s) => s.atMs >= l.startedAtMs + warmupMs) }))
    .filter((x) => x.samples.length >= 3)
    .sort((a, b) => b.samples.at(-1).atMs - b.samples[0].atMs - (a.samples.at(-1).atMs - a.samples[0].atMs))[0];
  const rss = measured
    ? {
        identity: measured.l.identity,
        fromMb: Math.round(measured.samples[0].kb / 1024),
        toMb: Math.round(measured.samples.at(-1).kb / 1024),
        maxMb: Math.round(Math.max(...measured.samples.map((s) => s.kb)) / 1024),
        overS: Math.round((measured.samples.at(-1).atMs - measured.samples[0].atMs) / 1000),
        growthPct: Number(((measured.samples.at(-1).kb / measured.samples[0].kb - 1) * 100).toFixed(1)),
        ...rssTrend(measured.samples),
        heapAfterGc: heapAfterGcGrowth(measured.l, warmupMs),
      }
    : null;
  const validTakeovers = takeovers.filter((t) => t !== null);
  return {
    ranS: Math.round((Date.now() - startedAtMs) / 1000),
    options: o,
    dir,
    leaderKills: kills.length,
    redisRestarts,
    replicaKills,
    scalesApplied: ledger.length,
    jobsEnqueued: enqueued,
    doubleScaleUps: duplicateKeys + staleTokenScales,
    duplicateKeys,
    staleTokenScales,
    reappliedAfterTakeover,
    lostScaleJobs: lost.length,
    lost: lost.slice(0, 20),
    orphans:
      orphanChecks.reduce((n, c) => n + Math.max(c.aliveAtRestart ?? 0, c.survivors?.length ?? 0), 0) +
      leftAtEnd.length,
    aliveAtRestart: orphanChecks.map((c) => c.aliveAtRestart ?? null),
    orphansAfterKill: orphanChecks.reduce((n, c) => n + (c.survivors?.length ?? 0), 0),
    orphansAtEnd: leftAtEnd.length,
    takeoverS: takeovers,
    maxTakeoverS: validTakeovers.length ? Math.max(...validTakeovers) : null,
    takeoverBoundS: (2 * o.leaseMs) / 1000,
    rss,
    daemonErrors: lives
      .filter((l) => l.stderr.trim())
      .map((l) => ({ identity: l.identity, stderr: l.stderr.slice(-500) })),
  };
}

/**
 * RSS growth as a trend, not as two single samples: a least-squares line through every RSS sample after warm-up, and
 * its rise from the first sample's time to the last's over its value at the first (`trendGrowthPct`, the judged
 * figure). RSS swings by 100+ MB between mark-compacts with 1,000 models (the GC lets the heap grow to ~285 MB and
 * then shrinks it), so one sample against another measures where in that swing each fell; the fitted line measures
 * whether the process grows. Also the spread of the samples (min, max).
 */
function rssTrend(samples) {
  const { m, b } = linearRegression(samples.map((s) => [(s.atMs - samples[0].atMs) / 1000, s.kb / 1024]));
  const spanS = (samples.at(-1).atMs - samples[0].atMs) / 1000;
  const fromMb = b;
  const toMb = b + m * spanS;
  return {
    trendFromMb: Math.round(fromMb),
    trendToMb: Math.round(toMb),
    trendGrowthPct: Number(((toMb / fromMb - 1) * 100).toFixed(1)),
    minMb: Math.round(Math.min(...samples.map((s) => s.kb)) / 1024),
    samples: samples.length,
  };
}

/**
 * The JS heap in use just after a major GC over the same span as the RSS judgement, from the daemon's memory lines
 * (bench/chaos-daemon.js): retained heap growth, without the GC's heap sizing (heapTotal swings by 100 MB between
 * mark-compacts with 1,000 models) or the allocator. Also the largest heap the GC let grow (heapTotal) and the
 * array buffers (typed arrays' memory, outside the heap). Reported, not judged: RSS growth stays the bound.
 */
function heapAfterGcGrowth(life, warmupMs) {
  const after = life.memory.filter((m) => m.atMs >= life.startedAtMs + warmupMs);
  const gc = after.filter((m) => typeof m.heapAfterGc === 'number');
  if (gc.length < 2) return null;
  const mb = (b) => Math.round(b / 1024 / 1024);
  return {
    fromMb: mb(gc[0].heapAfterGc),
    toMb: mb(gc.at(-1).heapAfterGc),
    maxMb: mb(Math.max(...gc.map((m) => m.heapAfterGc))),
    growthPct: Number(((gc.at(-1).heapAfterGc / gc[0].heapAfterGc - 1) * 100).toFixed(1)),
    heapTotalMaxMb: mb(Math.max(...after.map((m) => m.heapTotal))),
    arrayBuffersFromMb: mb(after[0].arrayBuffers),
    arrayBuffersToMb: mb(after.at(-1).arrayBuffers),
  };
}

const isMain = process.argv[1] && new URL(import.meta.url).pathname === process.argv[1];
if (isMain) {
  const { values } = parseArgs({
    options: {
      'duration-s': { type: 'string' },
      models: { type: 'string' },
      'leader-kill-every-s': { type: 'string' },
      'redis-restart-every-s': { type: 'string' },
      'replica-kill-every-s': { type: 'string' },
      'warmup-s': { type: 'string' },
      'lease-ms': { type: 'string' },
      keep: { type: 'boolean' },
    },
  });
  const num = (k) => (values[k] !== undefined ? Number(values[k]) : undefined);
  const opts = Object.fromEntries(
    Object.entries({
      durationS: num('duration-s'),
      models: num('models'),
      leaderKillEveryS: num('leader-kill-every-s'),
      redisRestartEveryS: num('redis-restart-every-s'),
      replicaKillEveryS: num('replica-kill-every-s'),
      warmupS: num('warmup-s'),
      leaseMs: num('lease-ms'),
    }).filter(([, v]) => v !== undefined),
  );
  for (const [k, v] of Object.entries(opts))
    if (!Number.isFinite(v) || v <= 0) {
      process.stderr.write(`bench:chaos: --${k} must be a positive number\n`);
      process.exit(2);
    }
  const report = await runChaos(opts, (line) => process.stderr.write(`${line}\n`));
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (!values.keep) rmSync(report.dir, { recursive: true, force: true });
  const ok =
    report.doubleScaleUps === 0 &&
    report.lostScaleJobs === 0 &&
    report.orphans === 0 &&
    (report.rss === null || report.rss.trendGrowthPct < 10) &&
    (report.maxTakeoverS === null || report.maxTakeoverS < report.takeoverBoundS);
  process.exit(ok ? 0 : 1);
}
