// Issue 17: warm and serve on models whose inputs a client cannot send in every encoding. A float16 input has no
// KServe v2 JSON form, and a fixed image's JSON body can be over max-body-bytes (tiny-yolo's 640x640 is ~24 MB
// against 16 MiB; here a 64x64 detector against 128 KiB). Before, the request-path warm failed on them: `warm --json`
// said measured false, serve logged the request-path warm failed. Now those encodings are skipped, each with why.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFixedDetector, ensureTestModel, SESSION_CONFIG_DEFAULTS, WARMUP_SPEC_DEFAULTS } from '@warmpool/warmup';
import { main, type Io } from '../src/main.js';
import { ReplicaAgent } from '../src/replica-agent.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-encodings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const specFile = join(dir, 'spec.json');
writeFileSync(
  specFile,
  JSON.stringify({ windowSize: 3, tolerance: 0.5, keepWarmIdleS: 0, budgetS: 30, concurrencyRounds: 1 }),
);
const detector = join(dir, 'fixed-detector-64.onnx');
writeFileSync(detector, buildFixedDetector({ size: 64, seed: 43 }));

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

interface EncodingWarm {
  encoding: string;
  warmed: string[];
  skipped: Array<{ target: string; reason: string }>;
}

async function warmJson(model: string, extra: string[] = []): Promise<{ code: number; m: Record<string, unknown> }> {
  const io = captureIo();
  const code = await main(
    [
      'warm',
      '--model',
      model,
      '--spec',
      specFile,
      '--providers',
      'cpu',
      '--no-opt-cache',
      '--first-requests',
      '3',
      ...extra,
      '--json',
    ],
    io,
  );
  expect(io.errText()).toBe('');
  return { code, m: JSON.parse(io.outText()) as Record<string, unknown> };
}

describe('warm --json: encodings a client could not use are skipped, named, and the rest measured', () => {
  it('tiny-fp16: v2 JSON skipped (fp16 has no JSON form), v1 JSON and binary warmed, HTTP measured', async () => {
    const { code, m } = await warmJson('tiny-fp16');
    expect(m['problems']).toEqual([]);
    expect(m['measured']).toBe(true);
    expect(m['httpProblem']).toBeUndefined();
    expect(m['httpWarm']).toBe('server');
    expect(code).toBe(m['ready'] ? 0 : 1);
    const shapes = m['shapes'] as Array<Record<string, unknown>>;
    const labels = shapes.map((s) => s['shape']);
    const enc = Object.fromEntries((m['httpEncodings'] as EncodingWarm[]).map((e) => [e.encoding, e]));
    expect(enc['v1-json']).toEqual({ encoding: 'v1-json', warmed: labels, skipped: [] });
    expect(enc['v2-binary']).toEqual({ encoding: 'v2-binary', warmed: labels, skipped: [] });
    expect(enc['v2-json']!.warmed).toEqual([]);
    expect(enc['v2-json']!.skipped).toEqual(
      labels.map((target) => ({ target, reason: 'fp16 has no JSON form (input input; binary only)' })),
    );
    for (const s of shapes) {
      expect(s['httpEncoding']).toBe('v1-json');
      expect((s['http'] as Record<string, number>)['steadyP50Ms']).toBeGreaterThan(0);
    }
  }, 120_000);

  it('a fixed image over --max-body-bytes: the JSON encodings skipped with the body size, binary measured', async () => {
    const { m } = await warmJson(detector, ['--max-body-bytes', String(128 * 1024)]);
    expect(m['problems']).toEqual([]);
    expect(m['measured']).toBe(true);
    const shapes = m['shapes'] as Array<Record<string, unknown>>;
    expect(shapes).toHaveLength(1);
    const enc = Object.fromEntries((m['httpEncodings'] as EncodingWarm[]).map((e) => [e.encoding, e]));
    expect(enc['v2-binary']!.warmed).toEqual([shapes[0]!['shape']]);
    for (const e of ['v1-json', 'v2-json']) {
      expect(enc[e]!.warmed).toEqual([]);
      expect(enc[e]!.skipped[0]!.reason).toMatch(/^body \d+\.\d kB over max-body-bytes 128 KiB$/);
    }
    expect(shapes[0]!['httpEncoding']).toBe('v2-binary');
    expect((shapes[0]!['http'] as Record<string, number>)['firstRequestsP50Ms']).toBeGreaterThan(0);
  }, 120_000);

  it('a --max-body-bytes below 1 KiB is refused naming the option', async () => {
    const io = captureIo();
    const code = await main(['warm', '--model', 'tiny-fp16', '--max-body-bytes', '12', '--json'], io);
    expect(code).toBe(2);
    expect(io.errText()).toContain('--max-body-bytes');
  });
});

describe('serve: the request-path warm logs what it skipped and succeeds', () => {
  it('tiny-fp16: request-path-warmed names v2 JSON skipped, the replica turns ready', async () => {
    const events: Array<Record<string, unknown>> = [];
    const agent = new ReplicaAgent({
      name: 'half',
      modelPath: ensureTestModel('tiny-fp16'),
      session: { ...SESSION_CONFIG_DEFAULTS, executionProviders: ['cpu'], optimizedModelCacheDir: undefined },
      spec: { ...WARMUP_SPEC_DEFAULTS, windowSize: 3, tolerance: 0.5, concurrencyRounds: 1, keepWarmIdleMs: 0 },
      host: '127.0.0.1',
      port: 0,
      maxConcurrency: 1,
      maxQueue: 8,
      registrar: undefined,
      log: (e) => events.push(e),
    });
    try {
      const outcome = await agent.start();
      expect(outcome).toMatchObject({ ok: true });
      const warmed = events.find((e) => e['event'] === 'request-path-warmed');
      expect(warmed, JSON.stringify(events)).toBeDefined();
      expect(warmed!['warmedEncodings']).toEqual(['v1-json', 'v2-binary']);
      const skipped = warmed!['skipped'] as Array<Record<string, string>>;
      expect(skipped.length).toBeGreaterThan(0);
      for (const s of skipped) {
        expect(s['encoding']).toBe('v2-json');
        expect(s['reason']).toBe('fp16 has no JSON form (input input; binary only)');
      }
      expect(JSON.stringify(events)).not.toContain('request-path warm-up failed');
    } finally {
      await agent.shutdown();
    }
  }, 120_000);
});
