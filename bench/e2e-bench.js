#!/usr/bin/env node
// npm run bench:e2e -- --trace FILE [--speed X] [--policy predictive|hpa|kpa[,...]] [--json] [--seed N] [--plot FILE]
//   [--from TRACE_S] [--duration WALL_S] [--history WALL_S] [--shapes 1x64,2x64] [--model small-transformer|FILE.onnx]
//   [--target-ms 250] [--provision-ms 4000] [--peak-replicas 4] [--service-ms 40] [--capacity REQ_PER_S]
//   [--max-replicas 6] [--time-scale 7.5] [--repeat 1] [--no-plot] [--timelines DIR] [--quantile 0.93] [--quantile-max Q]
//   [--release-quantile Q]
// --quantile Q: predictive's forecast band quantile (the model's upperQuantile; default the spec's 0.93).
// --quantile-max Q: the ceiling of its SLA-pressure tuning (upperQuantileMax; default: --quantile, tuning off).
// --release-quantile Q: predictive's release quantile (the model's releaseQuantile; default the spec's: the higher of
//   --quantile and 0.97; equal to --quantile: off).
// --repeat N: every policy N times; each row holds the medians over the runs (and the runs), and the totals of SLA
//   violations and spike windows over the runs (a ratio of totals weighs every round alike, a ratio of medians
//   only the middle one).
// --timelines DIR: every round's per-policy timeline (demand, forecast, replicas, latency) as DIR/round-K.json, and
//   every request (due and sent times, latency, status, replica) as DIR/round-K-requests.json.
// --time-scale K: the policies' clocks run K times faster (HPA sync/window/stabilization, KPA windows, the planner's
//   panic hold and every policy's scale-down stabilization divided by K), for a world whose replicas start K times
//   faster than a cluster's. Default 7.5: a replica here is ready ~6 s after it is asked for (4-s provisioning
//   stand-in + process start, model load, warm-up), standing in for a cluster's ~45 s, so every controller's clock
//   is compressed by the same factor as the lead time (like for like). 1 = the controllers' real defaults in wall
//   seconds (a 15-s HPA sync and 60-s window against 6-s replicas: the slower controller loses more).
// With --json, stdout is one JSON array (progress goes to stderr). The plot needs the predictive and hpa runs.
// Replays a trace as real HTTP requests through the local world (load balancer, replica processes, the daemon),
// once per policy on the same trace and seed, and prints per policy: requests, SLA violations, latency percentiles,
// spike windows, cold hits and replica-seconds. First it measures one replica's capacity (one inference at a time)
// and scales the trace to it, so a handful of replicas saturate. Loopback only; every process is ended.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UPPER_QUANTILE_RANGE } from '@warmpool/domain';
import { LocalProcessProvider } from '@warmpool/provider-local';
import { parseShapes, readTraceCsv, requestBody, SeededRandom, TraceLoadGenerator } from '@warmpool/loadgen';
import { DEFAULT_AGENT_BIN } from '../services/autoscaler/dist/daemon/local-provider-factory.js';
import { runPolicy, startPool } from './e2e-run.js';
import { writePlot } from './e2e-plot.js';

const here = new URL('.', import.meta.url).pathname;
const POLICIES = ['predictive', 'hpa', 'kpa'];

function fail(message) {
  process.stderr.write(`bench:e2e: ${message}\n`);
  process.exit(2);
}

let args;
try {
  args = parseArgs({
    options: {
      trace: { type: 'string', default: resolve(here, '../fixtures/traces/servegen_deepseek-r1_total_600s.csv') },
      speed: { type: 'string', default: '200' },
      from: { type: 'string', default: '66000' },
      duration: { type: 'string', default: '100' },
      history: { type: 'string', default: '300' },
      policy: { type: 'string' },
      json: { type: 'boolean', default: false },
      seed: { type: 'string', default: '7' },
      shapes: { type: 'string', default: '1x64,2x64' },
      model: { type: 'string', default: 'tiny-transformer' },
      'target-ms': { type: 'string', default: '250' },
      'provision-ms': { type: 'string', default: '4000' },
      'service-ms': { type: 'string', default: '40' },
      'time-scale': { type: 'string', default: '7.5' },
      repeat: { type: 'string', default: '1' },
      'peak-replicas': { type: 'string', default: '4' },
      capacity: { type: 'string' },
      'max-replicas': { type: 'string', default: '6' },
      plot: { type: 'string', default: resolve(here, 'e2e-plot.svg') },
      'no-plot': { type: 'boolean', default: false },
      timelines: { type: 'string' },
      quantile: { type: 'string' },
      'quantile-max': { type: 'string' },
      'release-quantile': { type: 'string' },
    },
    strict: true,
  }).values;
} catch (err) {
  fail(
    `${err.message}\nusage: npm run bench:e2e -- --trace FILE [--speed X] [--policy predictive|hpa|kpa] [--json] [--seed N]`,
  );
}
const num = (key, min, max) => {
  const v = Number(args[key]);
  if (!Number.isFinite(v) || v < min || v > max) fail(`--${key} ${args[key]}: expected a number in [${min}, ${max}]`);
  return v;
};
// --policy takes one policy or a comma-separated list (e.g. predictive,hpa), run in that order.
const policies = args.policy === undefined ? POLICIES : [...new Set(args.policy.split(',').map((p) => p.trim()))];
for (const p of policies)
  if (!POLICIES.includes(p))
    fail(
      `--policy ${args.policy}: expected one of ${POLICIES.join(', ')} (or a comma-separated list of them), got ${JSON.stringify(p)}`,
    );
let shapes;
try {
  shapes = parseShapes(args.shapes, '--shapes');
} catch (err) {
  fail(err.message);
}
const base = {
  tracePath: resolve(args.trace),
  speedX: num('speed', 0.01, 100_000),
  replayFromS: num('from', 0, 1e10),
  durationS: num('duration', 5, 1800),
  historyS: num('history', 0, 86_400),
  seed: num('seed', 0, 2 ** 32 - 1),
  latencyTargetP95Ms: num('target-ms', 1, 600_000),
  provisionDelayMs: num('provision-ms', 0, 600_000),
  serviceMs: num('service-ms', 0, 60_000),
  timeScale: num('time-scale', 1, 1000),
  maxReplicas: num('max-replicas', 1, 32),
  stepS: 2,
  horizonS: 6,
  shapes,
  modelSource: args.model,
  ...(args.quantile !== undefined
    ? { upperQuantile: num('quantile', UPPER_QUANTILE_RANGE.min, UPPER_QUANTILE_RANGE.max) }
    : {}),
  ...(args['quantile-max'] !== undefined
    ? { upperQuantileMax: num('quantile-max', UPPER_QUANTILE_RANGE.min, UPPER_QUANTILE_RANGE.max) }
    : {}),
  ...(args['release-quantile'] !== undefined
    ? { releaseQuantile: num('release-quantile', UPPER_QUANTILE_RANGE.min, UPPER_QUANTILE_RANGE.max) }
    : {}),
};
if (!existsSync(base.tracePath)) fail(`--trace ${args.trace}: no such file`);
try {
  await readTraceCsv(base.tracePath);
} catch (err) {
  fail(`--trace: ${err.message}`);
}
const say = (m) => process.stderr.write(`bench:e2e: ${m}\n`);

/** Requests per second one replica serves, one inference at a time, closed loop for `seconds` (after 1 s settling). */
async function measureCapacity(seconds = 5) {
  const runDir = mkdtempSync(join(tmpdir(), 'warmpool-e2e-calibrate-'));
  const pool = await startPool(base, runDir);
  const provider = new LocalProcessProvider({
    agentBinPath: DEFAULT_AGENT_BIN,
    runDir,
    models: [
      {
        model: 'bench-model',
        modelSource: base.modelSource,
        agentArgs: [
          '--providers',
          'cpu',
          '--spec',
          pool.specFile,
          '--opt-cache',
          join(runDir, 'opt'),
          '--threads',
          '1',
          '--max-concurrency',
          '1',
          '--min-service-ms',
          String(base.serviceMs),
        ],
        lbUrl: pool.lbUrl,
        lbToken: pool.token,
        provisionDelayMs: 0,
        maxReplicas: 1,
      },
    ],
  });
  try {
    const askedAtMs = Date.now();
    await provider.scale({
      model: 'bench-model',
      replicas: 1,
      idempotencyKey: 'calibrate',
      reason: 'MinWarmPool',
      message: 'calibration',
    });
    await provider.waitUntilReady('bench-model', 180_000);
    const startupS = (Date.now() - askedAtMs) / 1000;
    for (let i = 0; i < 100 && pool.registeredAt.size < 1; i++) await new Promise((r) => setTimeout(r, 50));
    const rng = new SeededRandom(1);
    const url = `${pool.lbUrl}/v1/models/bench-model/infer`;
    let done = 0;
    let counting = false;
    const stopAt = Date.now() + (seconds + 1) * 1000;
    setTimeout(() => (counting = true), 1000);
    const worker = async () => {
      while (Date.now() < stopAt) {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: requestBody(shapes[rng.int(shapes.length)], rng, 1000),
        });
        await res.arrayBuffer();
        if (res.ok && counting) done++;
      }
    };
    await Promise.all([worker(), worker()]);
    const perS = done / seconds;
    // The SLA capacity: the highest Poisson rate (open loop, as the replay sends) at which this replica's p95 stays
    // within the target, tried upwards in steps of 5 % of the saturated rate, `seconds` each.
    const trials = [];
    let slaPerS = 0;
    for (let share = 0.6; share <= 1.0001; share += 0.05) {
      const ratePerS = Number((perS * share).toFixed(2));
      const gen = new TraceLoadGenerator(
        {
          targetUrl: pool.lbUrl,
          model: 'bench-model',
          trace: { name: 'constant', startS: 0, binS: 1, counts: Array.from({ length: seconds }, () => ratePerS) },
          speedX: 1,
          scale: 1,
          arrival: 'poisson',
          seed: 11,
          shapes,
          maxConcurrency: 512,
          requestTimeoutMs: 10_000,
        },
        { latencyTargetMs: base.latencyTargetP95Ms },
      );
      const { summary } = await gen.run();
      trials.push({ ratePerS, p95Ms: summary.p95Ms, errors: summary.errors });
      if (summary.errors > 0 || !(summary.p95Ms <= base.latencyTargetP95Ms)) break;
      slaPerS = ratePerS;
    }
    return { perS, slaPerS, trials, startupS };
  } finally {
    await provider.close();
    await pool.lb.close();
    rmSync(runDir, { recursive: true, force: true });
  }
}

// Ctrl-C / SIGTERM: exit through 'exit', where the local provider kills every replica process it started.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
process.on('unhandledRejection', (err) => {
  process.stderr.write(
    `bench:e2e: ${err instanceof Error ? `${err.code ?? err.name}: ${err.message}` : String(err)}\n`,
  );
  process.exit(1);
});
const startedAt = Date.now();
const calibration = await measureCapacity();
const measured = calibration.perS;
// The SLA capacity (the model's capacityPerReplicaPerS for every policy): measured, unless --capacity says.
say(
  `SLA capacity trials (Poisson rate → p95): ${calibration.trials.map((t) => `${t.ratePerS}/s → ${t.p95Ms === null ? 'n/a' : Math.round(t.p95Ms)} ms${t.errors ? ` (${t.errors} failed)` : ''}`).join(', ')}`,
);
const capacity = args.capacity !== undefined ? num('capacity', 0.01, 1e6) : calibration.slaPerS;
if (!(capacity > 0))
  fail(
    `one replica missed the ${base.latencyTargetP95Ms} ms p95 target even at 60 % of its saturated rate (${(measured * 0.6).toFixed(1)} req/s): raise --target-ms or lower --service-ms`,
  );
// The daemon's lead-time guess: the provisioning delay plus the measured process start, model load and warm-up.
base.startupS = Number(calibration.startupS.toFixed(1));
const peakReplicas = num('peak-replicas', 0.5, 32);
// The busiest second needs `peakReplicas` replicas at the planner's 70 % target utilization.
const peakPerS = Number((capacity * 0.7 * peakReplicas).toFixed(2));
say(
  `one replica serves ${measured.toFixed(1)} req/s saturated (one inference at a time), ${capacity} req/s within the p95 target (its SLA capacity), starts in ${base.startupS} s; trace peak scaled to ${peakPerS} req/s`,
);

// --repeat N: the policies run back to back N times (same calibration, trace and seed); the row per policy holds the
// median of each number over the runs and the runs themselves. The plot shows the median round (below).
const rounds = Math.floor(num('repeat', 1, 20));
const runsByPolicy = Object.fromEntries(policies.map((p) => [p, []]));
/** Per round, the per-policy timelines. */
const timelinesByRound = [];
for (let round = 1; round <= rounds; round++) {
  const timelines = {};
  const requests = {};
  timelinesByRound.push(timelines);
  for (const policy of policies) {
    if (rounds > 1) say(`round ${round} of ${rounds}`);
    const run = await runPolicy({ ...base, policy, capacityPerReplicaPerS: capacity, peakPerS }, say);
    const { result } = run;
    runsByPolicy[policy].push(result);
    timelines[policy] = run.timeline;
    requests[policy] = run.requests;
    say(`${policy}: ${JSON.stringify(result)}`);
  }
  if (args.timelines) {
    mkdirSync(args.timelines, { recursive: true });
    writeFileSync(join(args.timelines, `round-${round}.json`), JSON.stringify({ round, rounds, ...timelines }));
    // Every request: [due ms, sent ms (after the replay's start), latency ms, HTTP status, replica], per policy.
    writeFileSync(
      join(args.timelines, `round-${round}-requests.json`),
      JSON.stringify({ round, rounds, fields: ['dueMs', 'sentMs', 'latencyMs', 'status', 'replicaId'], ...requests }),
    );
  }
}
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : Number(((v[m - 1] + v[m]) / 2).toFixed(2));
};
const MEDIAN_FIELDS = [
  'requests',
  'failed',
  'slaViolations',
  'p50Ms',
  'p95Ms',
  'p99Ms',
  'spikeWindows',
  'windows',
  'coldHits',
  'replicaSeconds',
  'replicasStarted',
  'scaleUps',
  'measuredLeadTimeS',
];
const results = policies.map((policy) => {
  const runs = runsByPolicy[policy];
  const total = (f) => runs.reduce((sum, r) => sum + (r[f] ?? 0), 0);
  const row =
    rounds === 1
      ? { ...runs[0] }
      : {
          policy,
          ...Object.fromEntries(MEDIAN_FIELDS.map((f) => [f, median(runs.map((r) => r[f]))])),
          totalSlaViolations: total('slaViolations'),
          totalSpikeWindows: total('spikeWindows'),
          processesLeft: runs.flatMap((r) => r.processesLeft),
          runs,
        };
  return {
    ...row,
    capacityPerReplicaPerS: capacity,
    measuredCapacityPerS: Number(measured.toFixed(2)),
    replicaStartupS: base.startupS,
    peakPerS,
    latencyTargetP95Ms: base.latencyTargetP95Ms,
    timeScale: base.timeScale,
  };
});
// The plotted round: the one whose hpa SLA violations are the median over the rounds (the baseline's outcome varies
// most from round to round: whether its sync happens to catch a rise), so the plot shows a typical round, not a lucky one.
const plotRound = (() => {
  const hpaRuns = runsByPolicy.hpa;
  if (!hpaRuns || rounds < 3) return rounds - 1;
  const order = hpaRuns.map((r, i) => [r.slaViolations, i]).sort((a, b) => a[0] - b[0]);
  return order[(order.length - 1) >> 1][1];
})();
const timelines = timelinesByRound[plotRound];
if (!args['no-plot'] && timelines.predictive && timelines.hpa) {
  const title = (policy) => (rounds > 1 ? `${policy} (round ${plotRound + 1} of ${rounds})` : policy);
  writePlot(
    args.plot,
    { [title('predictive')]: timelines.predictive, [title('hpa')]: timelines.hpa },
    base.latencyTargetP95Ms,
  );
  say(`plot (round ${plotRound + 1} of ${rounds}) written to ${args.plot}`);
}
if (args.plot && !args['no-plot'])
  writeFileSync(
    args.plot.replace(/\.svg$/, '') + '-timeline.json',
    JSON.stringify({ round: plotRound + 1, rounds, ...timelines }),
  );
say(`wall time ${((Date.now() - startedAt) / 1000).toFixed(0)} s`);
if (args.json) process.stdout.write(`${JSON.stringify(results)}\n`);
else {
  const pad = (v, n) => String(v ?? 'n/a').padStart(n);
  process.stdout.write(
    `${'policy'.padEnd(11)}${pad('requests', 9)}${pad('slaViol', 9)}${pad('p50Ms', 8)}${pad('p95Ms', 8)}${pad('p99Ms', 8)}${pad('spikeW', 8)}${pad('coldHits', 9)}${pad('replicaS', 10)}\n`,
  );
  for (const r of results)
    process.stdout.write(
      `${r.policy.padEnd(11)}${pad(r.requests, 9)}${pad(r.slaViolations, 9)}${pad(r.p50Ms, 8)}${pad(r.p95Ms, 8)}${pad(r.p99Ms, 8)}${pad(`${r.spikeWindows}/${r.windows}`, 8)}${pad(r.coldHits, 9)}${pad(r.replicaSeconds, 10)}\n`,
    );
}
