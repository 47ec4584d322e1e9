import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SESSION_CONFIG_DEFAULTS, ensureTestModel, parseWarmupSpec } from '@warmpool/warmup';
import { main, type Io } from '../src/main.js';
import { measureWarmup } from '../src/warm-command.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-warm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function captureIo(): Io & { outText: () => string; errText: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    untilSignal: () => new Promise(() => {}),
    outText: () => out.join('\n'),
    errText: () => err.join('\n'),
  };
}

/** Loose convergence so a loaded test machine converges quickly; the figures are what is checked. */
const quick = { windowSize: 3, tolerance: 0.5, keepWarmIdleS: 0, budgetS: 30, concurrencyRounds: 1 };

async function warmJson(
  model: string,
  spec: Record<string, unknown>,
): Promise<{ code: number; m: Record<string, unknown> & { shapes: Array<Record<string, unknown>> }; err: string }> {
  const file = join(dir, `${model}-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify({ ...quick, ...spec }));
  const io = captureIo();
  const code = await main(
    [
      'warm',
      '--model',
      model,
      '--spec',
      file,
      '--providers',
      'cpu',
      '--no-opt-cache',
      '--first-requests',
      '3',
      '--json',
    ],
    io,
  );
  return { code, m: io.outText() ? JSON.parse(io.outText()) : {}, err: io.errText() };
}

const FIGURES = [
  'coldFirstMs',
  'warmupFirstPassMs',
  'warmupWindowP50Ms',
  'firstRequestsP50Ms',
  'steadyP50Ms',
  'firstToSteadyRatio',
  'afterPauseP50Ms',
  'afterPauseToSteadyRatio',
] as const;

function expectEveryFigure(s: Record<string, unknown>): void {
  for (const k of FIGURES) expect(s[k], `${String(s['shape'])} ${k}`).toBeGreaterThan(0);
  expect(s['firstRequestsMs']).toHaveLength(3);
  const http = s['http'] as Record<string, unknown>;
  for (const k of [
    'firstRequestsP50Ms',
    'steadyP50Ms',
    'firstToSteadyRatio',
    'afterPauseP50Ms',
    'afterPauseToSteadyRatio',
  ])
    expect(http[k], `${String(s['shape'])} http ${k}`).toBeGreaterThan(0);
  expect(typeof s['targetMet']).toBe('boolean');
}

describe('warmpool-agent warm --json on each kind of model', () => {
  it.each([
    ['tiny-convnet', {}, ['1x224x224'], 'synthetic'],
    ['tiny-classifier', {}, ['1'], 'synthetic'],
    ['tiny-vad', { dims: { samples: [512] } }, ['1x512'], 'spec'],
    ['tiny-transformer', { shapes: [{ batch: 1, seq: 8 }] }, ['1x8'], 'spec'],
  ])(
    '%s with spec %j reports every figure per input set',
    async (model, spec, labels, kind) => {
      const { code, m, err } = await warmJson(model, spec);
      expect(err).toBe('');
      expect(code).toBe(0);
      expect(m['measured']).toBe(true);
      expect(m['problems']).toEqual([]);
      expect(m.shapes.map((s) => s['shape'])).toEqual(labels);
      for (const s of m.shapes) {
        expect(s['kind']).toBe(kind);
        expectEveryFigure(s);
      }
      expect(m['httpWarmRequests']).toBeGreaterThan(0);
    },
    120_000,
  );

  it('recorded inputs are measured too (cold first, steady, first requests, target)', async () => {
    const recorded = join(dir, 'recorded.json');
    writeFileSync(recorded, JSON.stringify({ inputs: [{ input_ids: { dims: [1, 4], data: [1, 2, 3, 4] } }] }));
    // A relative path: resolved against the spec file's folder, not the working directory.
    const { code, m } = await warmJson('tiny-transformer', { recordedInputsFile: 'recorded.json' });
    expect(code).toBe(0);
    expect(m.shapes.map((s) => [s['shape'], s['kind']])).toEqual([['recorded[0] 1x4', 'recorded']]);
    expectEveryFigure(m.shapes[0]!);
    expect(m['coldFirstMs']).toBeGreaterThan(0);
  }, 120_000);

  it('a model whose dimensions cannot be guessed: exit 2 naming the input, its shape and the spec key', async () => {
    const io = captureIo();
    const code = await main(['warm', '--model', 'tiny-vad', '--providers', 'cpu', '--no-opt-cache', '--json'], io);
    expect(code).toBe(2);
    const e = JSON.parse(io.errText()) as { error: string; message: string };
    expect(e.error).toBe('E_MODEL_SHAPE');
    expect(e.message).toContain('input input of');
    expect(e.message).toContain('has shape [batch, samples] (float32)');
    expect(e.message).toContain('"dims": { "samples": [sizes] }');
  }, 60_000);

  it('a run that cannot measure says why and exits non-zero', async () => {
    // Never converges (tolerance 0.1 % over 2 windows of 2 passes), policy fail: not ready, nothing to measure.
    const { code, m } = await warmJson('tiny-classifier', {
      windowSize: 2,
      tolerance: 0.001,
      convergenceWindows: 2,
      maxPassesPerShape: 4,
      onTimeout: 'fail',
    });
    expect(code).toBe(1);
    expect(m['ready']).toBe(false);
    expect(m['measured']).toBe(false);
    expect((m['problems'] as string[])[0]).toMatch(
      /^the replica is not ready after warm-up \(latency did not converge within 4 passes/,
    );
    expect(m['targetMet']).toBe(false);
  }, 60_000);

  it('warms the HTTP path as serve does where the server can, else until its latency converges', async () => {
    const base = {
      name: 'clf',
      modelPath: ensureTestModel('tiny-classifier'),
      session: { ...SESSION_CONFIG_DEFAULTS, executionProviders: ['cpu' as const], optimizedModelCacheDir: undefined },
    };
    const spec = parseWarmupSpec({ ...quick });
    const served = await measureWarmup({ ...base, spec, firstRequests: 2, steadySamples: 3 });
    expect(served.httpWarm).toBe('server');
    expect(served.httpWarmRequests).toBeGreaterThan(0);
    const converged = await measureWarmup({ ...base, spec, firstRequests: 2, steadySamples: 3, httpWarmRounds: 0 });
    expect(converged.httpWarm).toBe('converge');
    expect(converged.httpWarmRequests).toBeGreaterThanOrEqual(spec.windowSize * spec.convergenceWindows);
    expect(converged.shapes[0]!.http!.firstRequestsMs).toHaveLength(2);
  }, 60_000);
});
