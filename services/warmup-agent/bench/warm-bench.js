#!/usr/bin/env node
// Cold vs warmed first-request latency per shape, measured side by side in one run.
// Usage (after `npx tsc -b services/warmup-agent`):
//   node services/warmup-agent/bench/warm-bench.js [model-name-or-file ...] [--providers cuda,cpu] [--runs N]
// Per shape: the first request on a fresh session (cold), the first 10 requests after warm-up
// (p50, max), the steady p50 after those, and the ratios. Target: first p50 <= 1.1 x steady.
// With --runs N the whole measurement (fresh replica each time) repeats and the medians of the
// per-run ratios are printed too: on a shared, loaded box single runs are noisy.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SESSION_CONFIG_DEFAULTS, WARMUP_SPEC_DEFAULTS, ModelSessionFactory, median } from '@warmpool/warmup';
import { measureWarmup, resolveModel } from '../dist/index.js';

const argv = process.argv.slice(2);
const take = (flag, def) => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv.splice(i, 2)[1] : def;
};
const providers = take('--providers', SESSION_CONFIG_DEFAULTS.executionProviders.join(',')).split(',');
const runs = Number(take('--runs', '1'));
const models = argv.length > 0 ? argv : ['small-transformer'];
const shapes = [
  { batch: 1, seq: 16 },
  { batch: 1, seq: 64 },
  { batch: 4, seq: 64 },
  { batch: 8, seq: 128 },
];

const pad = (s, n) => String(s).padStart(n);
for (const arg of models) {
  const model = resolveModel(arg);
  const cacheDir = mkdtempSync(join(tmpdir(), 'warm-bench-opt-'));
  try {
    // Load time: no optimized-model cache vs a filled cache (a second start), same run.
    const session = { ...SESSION_CONFIG_DEFAULTS, executionProviders: providers, optimizedModelCacheDir: cacheDir };
    // The cache fill goes first so the process's first-session overhead is not charged to "without cache".
    const fill = await new ModelSessionFactory(session).create(model.path);
    await fill.session.release();
    const noCache = await new ModelSessionFactory({ ...session, optimizedModelCacheDir: undefined }).create(model.path);
    await noCache.session.release();
    const perShape = new Map(shapes.map((s) => [`${s.batch}x${s.seq}`, { firstToSteady: [], coldToWarm: [] }]));
    for (let run = 0; run < runs; run++) {
      const m = await measureWarmup({ name: model.name, modelPath: model.path, session, spec: { ...WARMUP_SPEC_DEFAULTS, shapes } });
      console.log(
        `\n${m.model} on ${m.executionProvider} run ${run + 1}/${runs}  load ${m.loadMs} ms (cache hit ${m.optimizedCacheHit}; without cache ${noCache.loadMs.toFixed(1)} ms, ratio ${(noCache.loadMs / m.loadMs).toFixed(2)}x)  warm-up ${m.warmupMs} ms  converged ${m.converged}`,
      );
      if (m.reason) console.log(`  reason: ${m.reason}`);
      console.log(`  ${pad('shape', 7)} ${pad('cold 1st', 9)} ${pad('warm p50', 9)} ${pad('warm max', 9)} ${pad('steady', 8)} ${pad('cold/warm', 9)} ${pad('first/steady', 12)} target<=1.1`);
      for (const s of m.shapes) {
        perShape.get(s.shape).firstToSteady.push(s.firstToSteadyRatio);
        perShape.get(s.shape).coldToWarm.push(s.coldToWarmRatio);
        console.log(
          `  ${pad(s.shape, 7)} ${pad(s.coldFirstMs.toFixed(2), 9)} ${pad(s.firstRequestsP50Ms.toFixed(2), 9)} ${pad(s.firstRequestsMaxMs.toFixed(2), 9)} ${pad(s.steadyP50Ms.toFixed(2), 8)} ${pad(s.coldToWarmRatio.toFixed(2), 9)} ${pad(s.firstToSteadyRatio.toFixed(3), 12)} ${s.targetMet ? 'met' : 'MISSED'}`,
        );
      }
    }
    if (runs > 1) {
      console.log(`\n${model.name}: medians over ${runs} runs`);
      for (const [shape, r] of perShape) {
        const fs = median(r.firstToSteady);
        console.log(`  ${pad(shape, 7)} cold/warm ${median(r.coldToWarm).toFixed(2)}  first/steady ${fs.toFixed(3)} ${fs <= 1.1 ? 'met' : 'MISSED'}`);
      }
    }
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
