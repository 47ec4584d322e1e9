#!/usr/bin/env node
// Cold vs warmed first-request latency per model kind and input set, measured as `warmpool-agent warm --json` does.
// Usage (after `npx tsc -b services/warmup-agent`):
//   node services/warmup-agent/bench/warm-bench.js [model-name-or-file ...] [--spec FILE] [--providers cuda,cpu] [--runs N] [--json]
// Default models: one of each bundled kind (tiny-convnet, tiny-vad, tiny-classifier, tiny-transformer), each with the
// few lines of spec it needs (none where the model's inputs follow a common pattern); `--spec FILE` is used for every
// model instead. Per input set: the cold first request (a fresh inference worker), the first 10 requests after warm-up
// in-session and over HTTP (p50), the steady p50 after them, the first/steady ratios and the noise floor (the steady
// p50 spread between two consecutive windows: a ratio within it of 1 cannot be told apart from steady). With --runs N
// the whole measurement repeats (fresh replica each time) and the medians of the per-run ratios are printed; the
// machine's load average is printed before each run: on a shared, loaded box single runs are noisy. `pause/st`: the
// same number of requests after the steady sample and a 50 ms pause, over steady: what requests after any idle gap pay
// here with warm-up long done (a first/steady ratio no larger than it is not a warm-up effect).
import { loadavg } from 'node:os';
import { median } from '@warmpool/domain';
import { SESSION_CONFIG_DEFAULTS, WARMUP_SPEC_DEFAULTS, loadWarmupSpec, parseWarmupSpec } from '@warmpool/warmup';
import { measureWarmup, resolveModel } from '../dist/index.js';

/** What each bundled model needs said (everything else is read from the model). */
const KIND_SPECS = {
  'tiny-convnet': {},
  'tiny-vad': { dims: { samples: [512] } },
  'tiny-classifier': {},
  'tiny-transformer': {
    shapes: [
      { batch: 1, seq: 16 },
      { batch: 1, seq: 64 },
    ],
  },
  'small-transformer': {
    shapes: [
      { batch: 1, seq: 16 },
      { batch: 1, seq: 64 },
      { batch: 4, seq: 64 },
    ],
  },
};

const argv = process.argv.slice(2);
const take = (flag, def) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv.splice(i, 2)[1] : def;
};
const flag = (name) => {
  const i = argv.indexOf(name);
  if (i >= 0) argv.splice(i, 1);
  return i >= 0;
};
const providers = take('--providers', SESSION_CONFIG_DEFAULTS.executionProviders.join(',')).split(',');
const runs = Number(take('--runs', '1'));
const specFile = take('--spec', undefined);
const json = flag('--json');
const models = argv.length > 0 ? argv : ['tiny-convnet', 'tiny-vad', 'tiny-classifier', 'tiny-transformer'];

const pad = (s, n) => String(s).padStart(n);
const fix = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
const load1 = () => loadavg()[0].toFixed(1);
const out = [];
for (const arg of models) {
  const model = resolveModel(arg);
  const spec = specFile ? loadWarmupSpec(specFile) : parseWarmupSpec({ ...(KIND_SPECS[model.name] ?? {}) });
  const session = { ...SESSION_CONFIG_DEFAULTS, executionProviders: providers };
  const perShape = new Map();
  for (let run = 0; run < runs; run++) {
    const loadBefore = load1();
    const m = await measureWarmup({
      name: model.name,
      modelPath: model.path,
      session,
      spec: spec ?? WARMUP_SPEC_DEFAULTS,
    });
    const loadAfter = load1();
    out.push({
      model: model.name,
      run: run + 1,
      loadAvg1Before: Number(loadBefore),
      loadAvg1After: Number(loadAfter),
      measurement: m,
    });
    if (json) continue;
    console.log(
      `\n${m.model} on ${m.executionProvider} run ${run + 1}/${runs}  load avg ${loadBefore} -> ${loadAfter} (${providersNote()})  warm-up ${m.warmupMs} ms  converged ${m.converged}  http warm ${m.httpWarm} ${m.httpWarmRequests} requests, converged ${m.httpWarmConverged}`,
    );
    if (m.reason) console.log(`  reason: ${m.reason}`);
    for (const p of m.problems) console.log(`  problem: ${p}`);
    console.log(
      `  ${pad('input set', 16)} ${pad('cold 1st', 9)} ${pad('first p50', 9)} ${pad('steady', 8)} ${pad('first/steady', 12)} ${pad('noise', 6)} ${pad('pause/st', 8)} ${pad('http 1st', 9)} ${pad('http st.', 8)} ${pad('http f/s', 8)} ${pad('noise', 6)} ${pad('pause/st', 8)}  target<=${m.targetRatio}`,
    );
    for (const s of m.shapes) {
      const key = `${s.shape} (${s.kind})`;
      if (!perShape.has(key))
        perShape.set(key, {
          inSession: [],
          http: [],
          coldToWarm: [],
          noise: [],
          httpNoise: [],
          pause: [],
          httpPause: [],
        });
      const acc = perShape.get(key);
      acc.inSession.push(s.firstToSteadyRatio);
      acc.http.push(s.http?.firstToSteadyRatio ?? Number.NaN);
      acc.coldToWarm.push(s.coldToWarmRatio);
      acc.noise.push(s.steadyWindowSpread);
      acc.httpNoise.push(s.http?.steadyWindowSpread ?? Number.NaN);
      acc.pause.push(s.afterPauseToSteadyRatio);
      acc.httpPause.push(s.http?.afterPauseToSteadyRatio ?? Number.NaN);
      console.log(
        `  ${pad(s.shape, 16)} ${pad(fix(s.coldFirstMs), 9)} ${pad(fix(s.firstRequestsP50Ms, 3), 9)} ${pad(fix(s.steadyP50Ms, 3), 8)} ${pad(fix(s.firstToSteadyRatio, 3), 12)} ${pad(fix(s.steadyWindowSpread, 3), 6)} ${pad(fix(s.afterPauseToSteadyRatio, 3), 8)} ${pad(fix(s.http?.firstRequestsP50Ms, 3), 9)} ${pad(fix(s.http?.steadyP50Ms, 3), 8)} ${pad(fix(s.http?.firstToSteadyRatio, 3), 8)} ${pad(fix(s.http?.steadyWindowSpread, 3), 6)} ${pad(fix(s.http?.afterPauseToSteadyRatio, 3), 8)}  ${s.targetMet ? 'met' : 'MISSED'}`,
      );
    }
  }
  if (runs > 1 && !json) {
    console.log(`\n${model.name}: medians over ${runs} runs`);
    for (const [shape, r] of perShape) {
      const a = median(r.inSession);
      const h = median(r.http.filter(Number.isFinite));
      console.log(
        `  ${pad(shape, 24)} cold/warm ${fix(median(r.coldToWarm))}  first/steady in-session ${fix(a, 3)} (noise ${fix(median(r.noise), 3)}, after a pause ${fix(median(r.pause.filter(Number.isFinite)), 3)})  http ${fix(h, 3)} (noise ${fix(median(r.httpNoise.filter(Number.isFinite)), 3)}, after a pause ${fix(median(r.httpPause.filter(Number.isFinite)), 3)})  ${a <= 1.1 && h <= 1.1 ? 'met' : 'MISSED'}`,
      );
    }
  }
}
if (json) console.log(JSON.stringify(out, null, 2));

function providersNote() {
  return `providers ${providers.join(',')}`;
}
