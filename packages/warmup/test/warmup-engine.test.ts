import { describe, expect, it } from 'vitest';
import { ValidationError } from '@warmpool/domain';
import type { Feeds } from '../src/session/feed-builder.js';
import { ManualClock } from '../src/warmup/clock.js';
import type { MemoryProbe } from '../src/warmup/memory-probe.js';
import { readCgroupLimitBytes } from '../src/warmup/memory-probe.js';
import { KeepWarm } from '../src/warmup/keep-warm.js';
import { parseNvidiaSmiMemory, readGpuMemory } from '../src/warmup/gpu-memory-probe.js';
import type { WarmTarget } from '../src/warmup/warm-target.js';
import { WarmupEngine, type InferenceRunner } from '../src/warmup/warmup-engine.js';
import { WARMUP_SPEC_DEFAULTS, parseWarmupSpec, type WarmupSpec } from '../src/warmup/warmup-spec.js';

/** A runner whose latency per target follows a script; it moves the manual clock by that much. */
class ScriptedRunner implements InferenceRunner {
  readonly calls: string[] = [];
  private readonly seen = new Map<string, number>();
  constructor(
    private readonly clock: ManualClock,
    private readonly script: Record<string, (pass: number) => number>,
  ) {}
  async run(feeds: Feeds): Promise<void> {
    const label = Object.keys(feeds)[0]!;
    const n = this.seen.get(label) ?? 0;
    this.seen.set(label, n + 1);
    this.calls.push(label);
    this.clock.advance(this.script[label]!(n));
  }
}

const target = (label: string, elements: number): WarmTarget => ({
  label,
  elements,
  shape: undefined,
  feeds: { [label]: undefined as never },
});

const memory = (peak: number, limit: number): MemoryProbe => ({
  rssBytes: () => peak,
  peakRssBytes: () => peak,
  limitBytes: () => limit,
  limitSource: () => 'configured',
});

const spec = (over: Partial<WarmupSpec>): WarmupSpec => ({
  ...WARMUP_SPEC_DEFAULTS,
  windowSize: 3,
  concurrencyRounds: 2,
  minPasses: 0,
  ...over,
});
/** Window medians alternate 20, 10, 20, ... (window of 3): never converges. */
const oscillating = (n: number) => (Math.floor(n / 3) % 2 ? 10 : 20);
const coldThenFlat =
  (cold: number, flat: number, coldPasses = 2) =>
  (n: number) =>
    n < coldPasses ? cold : flat;

describe('WarmupEngine with scripted latencies', () => {
  it('warms every shape until converged, smallest first, then a concurrency pass; ready', async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(clock, { big: coldThenFlat(500, 40), small: coldThenFlat(100, 5, 4) });
    const engine = new WarmupEngine(runner, spec({ concurrency: 2 }), { clock, memory: memory(100, 1000) });
    const report = await engine.run([target('big', 100), target('small', 10)]);
    expect(report.ready).toBe(true);
    expect(report.converged).toBe(true);
    expect(report.outcome).toBe('converged');
    expect(report.reason).toBeUndefined();
    expect(report.shapes.map((s) => s.label)).toEqual(['small', 'big']);
    const [small, big] = report.shapes;
    // Window medians 100, 5, 5, 5 (small) and 500, 40, 40, 40 (big): the last three agree at pass 12.
    expect(small).toMatchObject({ firstPassMs: 100, passes: 12, converged: true, steadyP50Ms: 5 });
    expect(big).toMatchObject({ firstPassMs: 500, passes: 12, converged: true, steadyP50Ms: 40 });
    expect(report.concurrency).toMatchObject({ level: 2, requests: 4 });
    expect(report.totalPasses).toBe(12 + 12 + 4);
    expect(runner.calls.slice(0, 12).every((c) => c === 'small')).toBe(true);
  });

  it('ends with serial passes round-robin over the targets until minPasses in all, within its share of the budget', async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(clock, { big: coldThenFlat(500, 40), small: coldThenFlat(100, 5, 4) });
    const report = await new WarmupEngine(runner, spec({ minPasses: 40 }), { clock, memory: memory(1, 10) }).run([
      target('big', 100),
      target('small', 10),
    ]);
    // 12 + 12 converging, 4 concurrent, then 12 settle passes: small, big, small, ...
    expect(report.settlePasses).toBe(12);
    expect(report.totalPasses).toBe(40);
    expect(runner.calls.slice(-12)).toEqual(Array.from({ length: 12 }, (_, k) => (k % 2 === 0 ? 'small' : 'big')));
    // At most settleBudgetFraction of the budget: 10 % of 1 s is 100 ms, three passes of 40 ms started within it.
    const capped = new ScriptedRunner(clock, { a: () => 40 });
    const r2 = await new WarmupEngine(capped, spec({ minPasses: 1000, budgetMs: 1000, concurrencyRounds: 0 }), {
      clock,
      memory: memory(1, 10),
    }).run([target('a', 1)]);
    expect(r2.converged).toBe(true);
    expect(r2.settlePasses).toBe(3);
  });

  it('budget spent: register-anyway is ready but says it did not converge', async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(clock, { a: oscillating, b: () => 5 });
    const engine = new WarmupEngine(runner, spec({ budgetMs: 1000, onTimeout: 'register-anyway' }), {
      clock,
      memory: memory(1, 10),
    });
    const report = await engine.run([target('a', 1), target('b', 2)]);
    expect(report.converged).toBe(false);
    expect(report.ready).toBe(true);
    expect(report.outcome).toBe('registered-unconverged');
    expect(report.reason).toMatch(/did not converge within the 1000 ms budget for a after \d+ passes/);
    expect(report.reason).toMatch(/register-anyway/);
    // b still got its one proving pass after the budget ran out
    expect(report.shapes[1]).toMatchObject({ label: 'b', passes: 1, converged: false });
    expect(report.concurrency).toBeUndefined();
  });

  it('budget spent: fail policy is not ready', async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(clock, { a: oscillating });
    const report = await new WarmupEngine(runner, spec({ budgetMs: 500, onTimeout: 'fail' }), {
      clock,
      memory: memory(1, 10),
    }).run([target('a', 1)]);
    expect(report.ready).toBe(false);
    expect(report.outcome).toBe('not-converged');
    expect(report.reason).toMatch(/policy fail/);
  });

  it('stops at maxPassesPerShape and says so', async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(clock, { a: oscillating });
    const report = await new WarmupEngine(runner, spec({ maxPassesPerShape: 12, onTimeout: 'fail' }), {
      clock,
      memory: memory(1, 10),
    }).run([target('a', 1)]);
    expect(report.shapes[0]!.passes).toBe(12);
    expect(report.reason).toBe(
      'latency did not converge within 12 passes for a after 12 passes (last 3 window medians 10.0-20.0 ms, spread 100 % > 10 %); not ready (policy fail)',
    );
  });

  it('not ready when peak RSS reaches 80 % of the limit, with the numbers in the reason', async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(clock, { a: () => 3 });
    const report = await new WarmupEngine(runner, spec({}), {
      clock,
      memory: memory(850 * 2 ** 20, 1000 * 2 ** 20),
    }).run([target('a', 1)]);
    expect(report.converged).toBe(true);
    expect(report.ready).toBe(false);
    expect(report.outcome).toBe('no-headroom');
    expect(report.memory.usedFraction).toBeCloseTo(0.85);
    expect(report.reason).toMatch(
      /peak RSS 850 MiB is 85.0 % of the 1000 MiB limit \(configured\); must stay under 80 %/,
    );
  });

  it('checks GPU memory where measured, device-wide, against the same fraction', async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(clock, { a: () => 3 });
    const gpu = (usedMiB: number) => () => ({ device: 0, usedBytes: usedMiB * 2 ** 20, totalBytes: 1000 * 2 ** 20 });
    const ok = await new WarmupEngine(runner, spec({}), { clock, memory: memory(1, 10), gpuMemory: gpu(700) }).run([
      target('a', 1),
    ]);
    expect(ok.ready).toBe(true);
    expect(ok.memory.gpu?.usedFraction).toBeCloseTo(0.7);
    const full = await new WarmupEngine(new ScriptedRunner(clock, { a: () => 3 }), spec({}), {
      clock,
      memory: memory(1, 10),
      gpuMemory: gpu(900),
    }).run([target('a', 1)]);
    expect(full.ready).toBe(false);
    expect(full.reason).toBe('GPU 0 memory 900 MiB is 90.0 % of 1000 MiB; must stay under 80 %');
  });

  it('a failing pass is a WarmupError naming the shape', async () => {
    const clock = new ManualClock();
    const runner: InferenceRunner = { run: async () => Promise.reject(new Error('Got invalid dimensions for input')) };
    const err = await new WarmupEngine(runner, spec({}), { clock, memory: memory(1, 10) })
      .run([target('8x4096', 1)])
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_WARMUP_RUN' });
    expect((err as Error).message).toMatch(/warm pass on 8x4096 failed: Got invalid dimensions/);
  });
});

describe('parseWarmupSpec', () => {
  it('fills defaults (60 s budget, register-anyway) and crosses batchSizes x seqLengths', () => {
    const s = parseWarmupSpec({
      batchSizes: [1, 2],
      seqLengths: [8, 16],
      concurrency: 3,
      budgetS: 5,
      keepWarmIdleS: 2,
    });
    expect(s.shapes).toEqual([
      { batch: 1, seq: 8 },
      { batch: 1, seq: 16 },
      { batch: 2, seq: 8 },
      { batch: 2, seq: 16 },
    ]);
    expect(s).toMatchObject({
      concurrency: 3,
      budgetMs: 5000,
      keepWarmIdleMs: 2000,
      onTimeout: 'register-anyway',
      tolerance: 0.1,
    });
    expect(parseWarmupSpec({}).budgetMs).toBe(60_000);
  });

  it('reports every bad key at once with the allowed values', () => {
    let err: unknown;
    try {
      parseWarmupSpec(
        {
          shapes: [{ batch: 0, seq: 4 }],
          onTimeout: 'maybe',
          budgetS: -1,
          windowSize: 1,
          batchSizes: [2],
          colour: 'red',
        },
        'spec.json',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    const paths = (err as ValidationError).issues.map((i) => i.path).sort();
    expect(paths).toEqual(['budgetS', 'colour', 'onTimeout', 'seqLengths', 'shapes[0].batch', 'windowSize']);
    expect((err as Error).message).toContain('spec.json');
    expect((err as Error).message).toContain('one of register-anyway, fail');
  });
});

describe('nvidia-smi memory', () => {
  it('parses the CSV and picks the visible device; undefined where nvidia-smi is missing', () => {
    const text = '0, 1024, 81559\n1, 70000, 81559\n';
    expect(parseNvidiaSmiMemory(text)).toHaveLength(2);
    expect(readGpuMemory(() => text, '1')).toEqual({
      device: 1,
      usedBytes: 70000 * 2 ** 20,
      totalBytes: 81559 * 2 ** 20,
    });
    expect(readGpuMemory(() => text, undefined)?.device).toBe(0);
    expect(
      readGpuMemory(() => {
        throw new Error('ENOENT');
      }, undefined),
    ).toBeUndefined();
    expect(readGpuMemory(() => 'garbage', undefined)).toBeUndefined();
  });
});

describe('memory limit discovery', () => {
  it('reads cgroup v2, then v1, treating max/huge as unlimited', () => {
    const files = (m: Record<string, string>) => (p: string) => {
      if (m[p] === undefined) throw new Error('ENOENT');
      return m[p]!;
    };
    expect(readCgroupLimitBytes(files({ '/sys/fs/cgroup/memory.max': '1073741824\n' }))).toEqual({
      bytes: 2 ** 30,
      source: 'cgroup v2 memory.max',
    });
    expect(readCgroupLimitBytes(files({ '/sys/fs/cgroup/memory.max': 'max\n' }))).toBeUndefined();
    expect(readCgroupLimitBytes(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '536870912' }))?.source).toBe(
      'cgroup v1 memory.limit_in_bytes',
    );
    expect(
      readCgroupLimitBytes(files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712' })),
    ).toBeUndefined();
    expect(readCgroupLimitBytes(files({}))).toBeUndefined();
  });
});

describe('KeepWarm', () => {
  it('runs a light pass only after the idle time, once per idle period', async () => {
    const clock = new ManualClock(0);
    let passes = 0;
    const kw = new KeepWarm({
      idleMs: 1000,
      clock,
      lightPass: async () => {
        passes += 1;
      },
    });
    expect(await kw.maybeRun(999)).toBe(false);
    kw.noteActivity(500);
    clock.advance(1400);
    expect(await kw.maybeRun(1400)).toBe(false); // 900 ms since the last request
    clock.advance(100);
    expect(await kw.maybeRun(1500)).toBe(true);
    expect(await kw.maybeRun(1600)).toBe(false); // the light pass counts as activity
    clock.advance(1000);
    expect(await kw.maybeRun(clock.nowMs())).toBe(true);
    expect(passes).toBe(2);
    expect(kw.passes).toBe(2);
  });

  it('reports a failing light pass and keeps going', async () => {
    const clock = new ManualClock(0);
    const errors: unknown[] = [];
    const kw = new KeepWarm({
      idleMs: 10,
      clock,
      lightPass: async () => Promise.reject(new Error('boom')),
      onError: (e) => errors.push(e),
    });
    clock.advance(10);
    expect(await kw.maybeRun(10)).toBe(true);
    expect(errors).toHaveLength(1);
    expect(kw.passes).toBe(0);
  });
});
