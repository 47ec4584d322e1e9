#!/usr/bin/env node
// node bench/cuda-warm-bench.js [--model small-transformer|FILE.onnx] [--steady 50] [--first 10] [--providers cuda,cpu]
//   [--spec FILE] [--json]
// (build first: npx tsc -b packages/warmup && npm run models -w @warmpool/warmup)
//
// The CUDA path is why warm-up exists: onnxruntime's first run on the CUDA execution provider takes seconds (kernel
// loading, cuDNN/cuBLAS handles, memory arenas) against milliseconds steady. Per provider, side by side in one run:
//   fresh session: load ms, the first (cold) inference, and the steady median after it (in-process);
//   the serving path: a ModelReplica (session in its worker thread) warmed to convergence, then the first requests
//   after ready and their ratio to steady (the target is <= 1.1).
// Without a usable CUDA provider (no GPU, or onnxruntime-node installed without its CUDA libraries) it says so on
// stderr and measures the CPU provider only: the CPU numbers are NOT the GPU's.
import { parseArgs } from 'node:util';
import {
  buildWarmTargets,
  describeInputs,
  ensureTestModel,
  isTestModelName,
  loadWarmupSpec,
  median,
  missingProviderLibrary,
  ModelReplica,
  ModelSessionFactory,
  WARMUP_SPEC_DEFAULTS,
} from '@warmpool/warmup';

const { values: opts } = parseArgs({
  options: {
    model: { type: 'string', default: 'small-transformer' },
    steady: { type: 'string', default: '50' },
    first: { type: 'string', default: '10' },
    providers: { type: 'string', default: 'cuda,cpu' },
    spec: { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
const modelPath = isTestModelName(opts.model) ? ensureTestModel(opts.model) : opts.model;
const spec = opts.spec ? loadWarmupSpec(opts.spec) : { ...WARMUP_SPEC_DEFAULTS, keepWarmIdleMs: 0 };
const steadyN = Number(opts.steady);
const firstN = Number(opts.first);
const round = (x) => Math.round(x * 1000) / 1000;
const say = (line) => process.stderr.write(`${line}\n`);

async function freshSession(provider) {
  const loaded = await new ModelSessionFactory({
    executionProviders: [provider],
    optimizedModelCacheDir: undefined,
  }).create(modelPath);
  try {
    const [target] = buildWarmTargets(spec, describeInputs(loaded.session), modelPath);
    let t0 = performance.now();
    await loaded.session.run(target.feeds);
    const coldFirstMs = performance.now() - t0;
    const steady = [];
    for (let i = 0; i < steadyN; i++) {
      t0 = performance.now();
      await loaded.session.run(target.feedsFor?.(100 + i) ?? target.feeds);
      steady.push(performance.now() - t0);
    }
    return {
      provider: loaded.executionProvider,
      target: target.label,
      loadMs: round(loaded.loadMs),
      coldFirstMs: round(coldFirstMs),
      steadyP50Ms: round(median(steady)),
    };
  } finally {
    await loaded.session.release();
  }
}

async function servingPath(provider) {
  const replica = new ModelReplica({ name: 'bench', modelPath, session: { executionProviders: [provider] }, spec });
  try {
    const status = await replica.start();
    if (!status.warmup || status.phase === 'failed') throw new Error(status.reason ?? 'warm-up failed');
    const target = replica.warmTargets[0];
    const first = [];
    for (let i = 0; i < firstN; i++)
      first.push((await replica.infer(target.feedsFor?.(1000 + i) ?? target.feeds)).latencyMs);
    const steady = [];
    for (let i = 0; i < steadyN; i++)
      steady.push((await replica.infer(target.feedsFor?.(5000 + i) ?? target.feeds)).latencyMs);
    const firstP50 = median(first);
    const steadyP50 = median(steady);
    return {
      warmupMs: round(status.warmup.warmupMs),
      converged: status.warmup.converged,
      firstRequestsP50Ms: round(firstP50),
      firstRequestsMaxMs: round(Math.max(...first)),
      steadyP50Ms: round(steadyP50),
      firstToSteadyRatio: round(firstP50 / steadyP50),
    };
  } finally {
    await replica.close();
  }
}

const rows = [];
const notes = [];
for (const provider of opts.providers.split(',').map((p) => p.trim())) {
  const missing = missingProviderLibrary(provider);
  if (missing) {
    const note = `${provider}: not measured: ${missing}`;
    notes.push(note);
    say(`NOTE ${note}. Falling back to the next provider; these numbers are not the GPU's.`);
    continue;
  }
  try {
    const fresh = await freshSession(provider);
    const served = await servingPath(provider);
    rows.push({ ...fresh, coldToSteadyRatio: round(fresh.coldFirstMs / fresh.steadyP50Ms), served });
  } catch (e) {
    const note = `${provider}: not measured: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
    notes.push(note);
    say(`NOTE ${note}`);
  }
}

if (opts.json) process.stdout.write(`${JSON.stringify({ model: opts.model, rows, notes }, null, 2)}\n`);
else {
  console.log(
    `model ${opts.model}: fresh session cold first vs steady (${steadyN} runs), and the serving path after warm-up`,
  );
  for (const r of rows) {
    console.log(
      `  ${r.provider.padEnd(5)} load ${r.loadMs} ms | cold first ${r.coldFirstMs} ms vs steady p50 ${r.steadyP50Ms} ms (${r.coldToSteadyRatio}x) | ` +
        `warmed: warm-up ${r.served.warmupMs} ms, first ${firstN} p50 ${r.served.firstRequestsP50Ms} ms vs steady ${r.served.steadyP50Ms} ms (${r.served.firstToSteadyRatio}x)`,
    );
  }
  for (const n of notes) console.log(`  ${n}`);
}
if (!rows.some((r) => r.provider !== 'cpu'))
  say('No accelerator provider was measured on this machine: run it on a GPU host for the CUDA numbers.');
process.exitCode = rows.length > 0 ? 0 : 1;
