// Checkpoint cost at scale: 1,000 models x 2,048 steps + lead-time samples + burst histories, saved as the daemon's
// leader does (a full first save, then saves after one new step per model), to the file store and to the Redis store.
// Prints, per store and save: bytes written, ms to build the models' checkpoints, ms the store's save took, the longest
// event-loop block (perf_hooks monitorEventLoopDelay), and the load time. Run after `npx tsc -b services/autoscaler`:
//   node services/autoscaler/bench/checkpoint-bench.js [--models 1000] [--saves 3] [--redis redis://127.0.0.1:6379]
//     [--dist services/autoscaler/dist] (another build to compare; run both one after the other, with the load)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
const { values } = parseArgs({
  options: {
    models: { type: 'string', default: '1000' },
    saves: { type: 'string', default: '3' },
    redis: { type: 'string', default: 'redis://127.0.0.1:6379' },
    // the compiled daemon folder to measure (another build, e.g. of an earlier commit, for a before/after in one run)
    dist: { type: 'string', default: new URL('../dist/', import.meta.url).pathname },
  },
});
const daemonDir = pathToFileURL(`${resolve(values.dist, 'daemon')}/`);
const storeModule = await import(new URL('checkpoint-store.js', daemonDir).href);
const { StepMemory, MAX_CHECKPOINT_STEPS } = await import(new URL('model-checkpoint.js', daemonDir).href);
const { RedisCheckpointStore } = await import(new URL('redis-checkpoint-store.js', daemonDir).href);
const MODELS = Number(values.models);
const SAVES = Number(values.saves);
const STEP_S = 10;
const T0_S = 1_765_000_000;

/** The new store API takes a function building the checkpoint with only the steps after the store's cursor. */
const incremental = typeof storeModule.CHECKPOINT_FORMAT === 'number';

function burstHistory(i) {
  const n = (k, base) => Array.from({ length: k }, (_, j) => base + ((i * 7 + j * 13) % 97) / 7);
  return {
    v: 1,
    quietPeaksPerS: n(60, 0.5),
    quietMedianPerS: 0.7,
    ticksSinceQuiet: 3,
    peaksPerS: n(64, 40),
    lengthsS: n(64, 20),
    gapsS: n(64, 130),
    busyShare: 0.13,
    tickS: 1,
    lastTickS: T0_S + 20_000,
    lastEndS: T0_S + 19_000,
    burst: null,
  };
}

const leadTimes = (i) =>
  Array.from({ length: 32 }, (_, j) => ({
    totalS: 30 + ((i + j) % 11),
    tier: 'gpu',
    stagesS: { provisioning: 20, loading: 5 + (j % 3), warming: 5 },
  }));

/** Each model: a StepMemory at its 2,048 steps (a demand wave with noise, a gap now and then), lead times, bursts. */
const models = [];
for (let i = 0; i < MODELS; i++) {
  const memory = new StepMemory();
  for (let k = 0; k < MAX_CHECKPOINT_STEPS; k++) addStep(memory, i, k);
  models.push({ name: `model-${String(i).padStart(4, '0')}`, memory, next: MAX_CHECKPOINT_STEPS, i });
}
function addStep(memory, i, k) {
  const mean = k % 997 === 500 ? Number.NaN : 5 + 4 * Math.sin((k + i) / 30) + ((k * 31 + i) % 17) / 9;
  memory.add({ startS: T0_S + k * STEP_S, meanPerS: mean, peakPerS: Number.isNaN(mean) ? mean : mean * 1.3 });
}

function modelState(m, after) {
  return {
    steps: incremental ? m.memory.listAfter(after) : m.memory.list(),
    leadTimeSamples: leadTimes(m.i),
    bursts: burstHistory(m.i),
  };
}

/** The whole checkpoint at once (the API before H12: `take(afterS)` returns every model). */
function take(afterS) {
  const out = {};
  for (const m of models) out[m.name] = modelState(m, afterS(m.name));
  return {
    v: incremental ? storeModule.CHECKPOINT_FORMAT : 1,
    savedAtMs: Date.now(),
    identity: 'bench',
    fencingToken: 7,
    models: out,
  };
}

/** The model-by-model source (H12 on: `take()` returns a view the store reads one model at a time). */
const byName = new Map(models.map((m) => [m.name, m]));
function source(timeBuild) {
  return {
    savedAtMs: Date.now(),
    identity: 'bench',
    fencingToken: 7,
    names: models.map((m) => m.name),
    model: (name, after) => timeBuild(() => modelState(byName.get(name), after)),
  };
}

/** Bytes this process wrote through write(2) so far (Linux /proc/self/io `wchar`): what a file save writes. */
function bytesWritten() {
  return Number(/wchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))[1]);
}

async function measureSave(store, bytesNow) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  const bytesBefore = await bytesNow();
  h.enable();
  await new Promise((r) => setTimeout(r, 10)); // the monitor's timer runs before the save blocks (or not)
  let buildMs = 0;
  const t0 = performance.now();
  const timeBuild = (f) => {
    const b = performance.now();
    const r = f();
    buildMs += performance.now() - b;
    return r;
  };
  if (incremental) {
    // one function for both APIs: called with the cursor (before H12) or with nothing (the model-by-model source)
    await store.save((after) => (after ? timeBuild(() => take(after)) : source(timeBuild)));
  } else {
    const cp = timeBuild(() => take(() => Number.NEGATIVE_INFINITY));
    await store.save(cp);
  }
  const saveMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 20));
  h.disable();
  const bytes = (await bytesNow()) - bytesBefore;
  return { bytes, buildMs, storeMs: saveMs - buildMs, maxBlockMs: h.max / 1e6, yields: store.lastSaveYields };
}

async function runStore(label, open, bytesNow) {
  const store = open();
  const rows = [];
  for (let s = 0; s <= SAVES; s++) {
    if (s > 0) for (const m of models) addStep(m.memory, m.i, m.next++);
    rows.push({ save: s === 0 ? 'first' : `+1 step #${s}`, ...(await measureSave(store, bytesNow)) });
  }
  const hl = monitorEventLoopDelay({ resolution: 1 });
  hl.enable();
  await new Promise((r) => setTimeout(r, 10));
  const l0 = performance.now();
  const cp = await store.load();
  const loadMs = performance.now() - l0;
  await new Promise((r) => setTimeout(r, 20));
  hl.disable();
  const steps = Object.values(cp.models).reduce((n, m) => n + m.steps.length, 0);
  await store.close();
  // a restart: a new store (process) loads what the last wrote, then saves after one more step
  const restarted = open();
  await restarted.load();
  for (const m of models) addStep(m.memory, m.i, m.next++);
  rows.push({ save: 'restart +1', ...(await measureSave(restarted, bytesNow)) });
  await restarted.close();
  for (const r of rows)
    console.log(
      `${label.padEnd(6)} ${r.save.padEnd(12)} bytes ${String(r.bytes).padStart(11)}  build ${r.buildMs.toFixed(0).padStart(5)} ms  store ${r.storeMs.toFixed(0).padStart(5)} ms  max loop block ${r.maxBlockMs.toFixed(0).padStart(5)} ms${r.yields === undefined ? '' : `  yields ${r.yields}`}`,
    );
  console.log(
    `${label.padEnd(6)} load ${loadMs.toFixed(0)} ms (max loop block ${(hl.max / 1e6).toFixed(0)} ms): ${Object.keys(cp.models).length} models, ${steps} steps`,
  );
}

console.log(
  `checkpoint bench: ${MODELS} models x ${MAX_CHECKPOINT_STEPS} steps, ${incremental ? `incremental format v${storeModule.CHECKPOINT_FORMAT}` : 'single-document format v1'}; load ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
const dir = mkdtempSync(join(tmpdir(), 'warmpool-checkpoint-bench-'));
try {
  await runStore(
    'file',
    () => new storeModule.FileCheckpointStore(join(dir, 'checkpoint.json')),
    async () => bytesWritten(),
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const key = `warmpool:bench:checkpoint:${process.pid}:${Date.now()}`;
const admin = new Redis(values.redis, { maxRetriesPerRequest: 1 });
const netIn = async () => Number(/total_net_input_bytes:(\d+)/.exec(await admin.info('stats'))[1]);
try {
  await runStore('redis', () => new RedisCheckpointStore(values.redis, key, 60_000), netIn);
} finally {
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${key}*`, 'COUNT', 1000);
    if (keys.length) await admin.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  admin.disconnect();
}
console.log(
  `load after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
