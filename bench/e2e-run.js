// One policy's end-to-end run: load balancer on 127.0.0.1, replicas as real `warmpool-agent serve` processes (process
// start, model load, warm-up; a provisioning delay before each stands in for GPU node start; one inference at a time),
// the daemon deciding with `predictive` (ModelPlanner) or a baseline (`hpa` / `kpa` through LivePolicyDriver), and the
// trace replayed as HTTP requests. The same parts as the local world (services/autoscaler/src/world), composed here so
// the policy and the request sizes can be chosen. Everything it starts is closed before it returns.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createForecaster } from '@warmpool/forecast';
import { LoadBalancerServer } from '@warmpool/load-balancer';
import { countColdHits, isOk, readTraceCsv, sliceTrace, TraceLoadGenerator } from '@warmpool/loadgen';
import { readWarmpoolConfig } from '../services/autoscaler/dist/config/read-warmpool-config.js';
import { buildDaemon } from '../services/autoscaler/dist/daemon/build-daemon.js';
import { createLocalProcessProvider } from '../services/autoscaler/dist/daemon/local-provider-factory.js';
import { compressTrace, historyCsv } from '../services/autoscaler/dist/world/compressed-history.js';

const MODEL = 'bench-model';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A stdout that drops the daemon's decision log (the run keeps the records itself). */
const quiet = () => new Writable({ write: (_c, _e, cb) => cb() });

/** Starts the load balancer and a local provider for the model; `close()` ends both. */
export async function startPool(o, runDir, log = () => undefined) {
  const token = randomBytes(16).toString('hex');
  const registeredAt = new Map();
  const lb = new LoadBalancerServer({
    token,
    pool: { slowStartMs: 0 },
    health: { intervalMs: 500 },
    log: (e) => {
      if (e.event === 'replica-registered' && typeof e.replicaId === 'string' && !registeredAt.has(e.replicaId)) registeredAt.set(e.replicaId, Date.now());
    },
  });
  const { url: lbUrl } = await lb.listen();
  const specFile = join(runDir, 'warmup-spec.json');
  writeFileSync(specFile, JSON.stringify({ shapes: o.shapes, windowSize: 3, tolerance: 0.5, keepWarmIdleS: 0, budgetS: 30 }));
  return { token, lbUrl, lb, registeredAt, specFile, log };
}

/** The daemon's config for this run (same shape as the local world's). */
function daemonConfig(o, lbUrl, runDir, historyFile, historySeconds, specFile) {
  return readWarmpoolConfig(
    {
      tickS: 1,
      provider: { kind: 'local', loadBalancerUrl: lbUrl, runDir },
      history: { kind: 'csv', files: { [MODEL]: historyFile }, epochOffsetS: 0, backfillS: historySeconds },
      decisionLog: { format: 'json' },
      models: [
        {
          name: MODEL,
          capacityPerReplicaPerS: o.capacityPerReplicaPerS,
          latencyTargetP95Ms: o.latencyTargetP95Ms,
          leadTime: { provisionS: o.provisionDelayMs / 1000, loadS: Math.max(0.5, o.startupS / 2), warmupS: Math.max(0.5, o.startupS / 2) },
          minWarmReplicas: 1,
          maxReplicas: o.maxReplicas,
          horizonS: o.horizonS,
          scaleDownStabilizationS: 20,
          stepS: o.stepS,
          target: { modelFile: o.modelSource, provisionDelayMs: o.provisionDelayMs, args: ['--providers', 'cpu', '--spec', specFile, '--opt-cache', join(runDir, 'opt'), '--threads', '1', '--max-concurrency', '1', '--max-queue', '64', '--min-service-ms', String(o.serviceMs)] },
        },
      ],
    },
    'e2e bench',
    runDir,
    {},
  );
}

/**
 * Runs one policy on the trace; returns the per-policy result and a per-second timeline for the plot.
 * `o`: { tracePath, policy, speedX, replayFromS, durationS, historyS, peakPerS, capacityPerReplicaPerS,
 *        latencyTargetP95Ms, maxReplicas, provisionDelayMs, stepS, horizonS, seed, shapes, modelSource }
 */
export async function runPolicy(o, progress = () => undefined) {
  const runDir = mkdtempSync(join(tmpdir(), `warmpool-e2e-${o.policy}-`));
  const closers = [];
  const cleanup = async () => {
    while (closers.length) await closers.pop()().catch(() => undefined);
    rmSync(runDir, { recursive: true, force: true });
  };
  try {
    const trace = await readTraceCsv(o.tracePath);
    const replayToS = o.replayFromS + o.durationS * o.speedX;
    const historyFromS = Math.max(trace.startS, o.replayFromS - o.historyS * o.speedX);
    const both = sliceTrace(trace, historyFromS, replayToS - historyFromS);
    const peakBin = both.counts.reduce((m, c) => Math.max(m, c), 0);
    const scale = peakBin > 0 ? (o.peakPerS * both.binS) / (peakBin * o.speedX) : 0;
    const replay = sliceTrace(trace, o.replayFromS, replayToS - o.replayFromS);
    if (replay.counts.length === 0) throw new RangeError(`--from ${o.replayFromS} is past the end of ${o.tracePath}`);
    const history = compressTrace(trace, historyFromS, o.replayFromS, o.speedX, scale);
    const historyFile = join(runDir, `${MODEL}-history.csv`);
    writeFileSync(historyFile, historyCsv(history));

    const pool = await startPool(o, runDir);
    closers.push(() => pool.lb.close());
    const config = daemonConfig(o, pool.lbUrl, runDir, historyFile, history.countsPerS.length, pool.specFile);
    const pids = new Set();
    let provider;
    const decisions = [];
    const memory = { name: 'e2e', write: (r) => r.kind === 'decision' && decisions.push(r), close: async () => undefined };
    const env = { WARMPOOL_LB_TOKEN: pool.token };
    const daemon = buildDaemon({
      config,
      env,
      stdout: quiet(),
      policy: o.policy,
      extraSinks: [memory],
      // A trace day lasts 86 400 / speedX wall seconds: the forecaster's daily season.
      makeForecaster: (quantile, stepS) => createForecaster('ensemble', { quantile, stepS, levelHalfLifeS: Math.max(4 * stepS, 10), dayS: Math.max(2 * stepS, 86_400 / o.speedX) }),
      createLocalProvider: (c) => {
        provider = createLocalProcessProvider(c, env, (e) => {
          if (typeof e.pid === 'number') pids.add(e.pid);
        });
        return provider;
      },
    });
    let daemonStarted = false;
    closers.push(async () => (daemonStarted ? daemon.stop('e2e run ends') : provider?.close()));

    // Replica lifetimes as the provider reports them (requested → ended), sampled every 250 ms.
    const lifetimes = new Map();
    const sample = () => {
      const now = Date.now();
      for (const r of provider?.describe(MODEL) ?? []) {
        const l = lifetimes.get(r.id) ?? { requestedAtMs: r.requestedAtMs, endedAtMs: undefined, lastSeenMs: now };
        l.lastSeenMs = now;
        if (r.endedAtMs !== undefined) l.endedAtMs = r.endedAtMs;
        if (r.pid !== undefined) pids.add(r.pid);
        lifetimes.set(r.id, l);
      }
    };
    const sampler = setInterval(sample, 250);
    closers.push(async () => clearInterval(sampler));

    // Start warm with what the last 30 s of history needed (the same rule for every policy).
    const recent = history.countsPerS.slice(-30);
    const recentPerS = recent.length ? recent.reduce((a, b) => a + b, 0) / recent.length : 0;
    const initial = Math.min(o.maxReplicas, Math.max(1, Math.ceil(recentPerS / (o.capacityPerReplicaPerS * 0.7))));
    progress(`${o.policy}: starting ${initial} replica(s) warm`);
    await provider.scale({ model: MODEL, replicas: initial, idempotencyKey: `e2e-initial-${pool.token}`, reason: 'MinWarmPool', message: `start warm with ${initial}` });
    await provider.waitUntilReady(MODEL, 180_000);
    // and registered with the load balancer
    for (let i = 0; i < 100 && pool.registeredAt.size < initial; i++) await sleep(50);

    const gen = new TraceLoadGenerator(
      { targetUrl: pool.lbUrl, model: MODEL, trace: replay, speedX: o.speedX, scale, arrival: 'poisson', seed: o.seed, shapes: o.shapes, maxConcurrency: 512, timeLimitMs: Math.ceil(o.durationS * 1000 + 30_000), requestTimeoutMs: 10_000 },
      { latencyTargetMs: o.latencyTargetP95Ms, windowS: 10 },
    );
    const endS = Math.floor(Date.now() / 1000 / o.stepS) * o.stepS;
    writeFileSync(historyFile, historyCsv(history, endS - history.countsPerS.length));
    await daemon.start();
    daemonStarted = true;
    const replayStartMs = Date.now();
    const loadAtStart = loadavg()[0];
    progress(`${o.policy}: replaying ${o.durationS} s (${gen.arrivals.length} requests)`);
    const load = await gen.run();
    const replayEndMs = Date.now();
    sample();
    await cleanup();

    const s = load.summary;
    let replicaMs = 0;
    for (const l of lifetimes.values()) {
      const end = Math.min(replayEndMs, l.endedAtMs ?? l.lastSeenMs);
      const start = Math.max(replayStartMs, l.requestedAtMs);
      if (end > start) replicaMs += end - start;
    }
    const violations = load.records.filter((r) => !isOk(r) || r.latencyMs > o.latencyTargetP95Ms).length;
    const result = {
      policy: o.policy,
      requests: s.requests,
      failed: s.errors,
      slaViolations: violations,
      p50Ms: s.p50Ms,
      p95Ms: s.p95Ms,
      p99Ms: s.p99Ms,
      spikeWindows: s.spikeWindows,
      windows: s.windows.length,
      coldHits: countColdHits(load.records, pool.registeredAt),
      replicaSeconds: Number((replicaMs / 1000).toFixed(1)),
      replicasStarted: lifetimes.size,
      scaleUps: decisions.filter((d) => d.action === 'scale-up' && d.acted === 'enqueued').length,
      measuredLeadTimeS: [...decisions].reverse().find((d) => d.measuredLeadTimeS !== null)?.measuredLeadTimeS ?? null,
      processesLeft: [...pids].filter(alive),
      // The machine's 1-min load average at the replay's start and end (other work on the host skews latency).
      loadAvg1m: [Number(loadAtStart.toFixed(2)), Number(loadavg()[0].toFixed(2))],
    };
    return { result, timeline: timeline(load.records, decisions, replayStartMs, o.durationS) };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Per wall second of the replay: requests sent, p95 latency (failures as null + failed count), forecast, replicas. */
function timeline(records, decisions, startMs, durationS) {
  const n = Math.ceil(durationS) + 5;
  const rows = Array.from({ length: n }, (_, t) => ({ t, sent: 0, failed: 0, lat: [], p95Ms: null, forecastP50PerS: null, forecastUpperPerS: null, ready: null, warming: null }));
  for (const r of records) {
    const t = Math.floor((r.sentAtMs - startMs) / 1000);
    if (t < 0 || t >= n) continue;
    rows[t].sent++;
    if (isOk(r)) rows[t].lat.push(r.latencyMs);
    else rows[t].failed++;
  }
  for (const d of decisions) {
    const t = Math.floor((Date.parse(d.time) - startMs) / 1000);
    if (t < 0 || t >= n) continue;
    Object.assign(rows[t], { forecastP50PerS: d.forecastP50PerS, forecastUpperPerS: d.forecastUpperPerS, ready: d.ready, warming: d.warming });
  }
  return rows.map(({ lat, ...r }) => {
    lat.sort((a, b) => a - b);
    return { ...r, p95Ms: lat.length ? lat[Math.min(lat.length - 1, Math.ceil(0.95 * lat.length) - 1)] : null };
  });
}
