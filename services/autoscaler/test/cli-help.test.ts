import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue 19, CLI: every command of the three binaries answers --help (exit 0) and --version, through the real bin
// scripts; errors carry one prefix and the domain's words.

const root = resolve(__dirname, '../../..');
const BINS = {
  warmpool: join(root, 'services/autoscaler/bin/warmpool.js'),
  agent: join(root, 'services/warmup-agent/bin/warmpool-agent.js'),
  loadgen: join(root, 'packages/loadgen/bin/loadgen.js'),
} as const;

function version(pkgDir: string): string {
  return (JSON.parse(readFileSync(join(root, pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs a bin to its end (bounded: killed after 60 s). */
function run(bin: keyof typeof BINS, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [BINS[bin], ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WARMPOOL_LB_TOKEN: '' },
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', fail);
    p.on('close', (code) => {
      clearTimeout(t);
      done({ code, out, err });
    });
  });
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warmpool-cli-help-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HELP_CASES: Array<[keyof typeof BINS, string[], RegExp]> = [
  [
    'warmpool',
    ['--help'],
    /^warmpool: predictive warm-pool autoscaler[\s\S]*commands:[\s\S]*config validate[\s\S]*exit codes:/,
  ],
  ['warmpool', ['start', '--help'], /^usage: warmpool start \[options\][\s\S]*--duration-s S[\s\S]*\(default 100\)/],
  ['warmpool', ['run', '--help'], /^usage: warmpool run --config FILE \[options\][\s\S]*--dry-run/],
  ['warmpool', ['decisions', '--help'], /^usage: warmpool decisions \[options\][\s\S]*--model M/],
  [
    'warmpool',
    ['config', 'validate', '--help'],
    /^usage: warmpool config validate \[options\] FILE\.\.\.[\s\S]*--static/,
  ],
  ['warmpool', ['config', '--help'], /^usage: warmpool config validate/],
  [
    'warmpool',
    ['simulate', '--help'],
    /^usage: warmpool simulate --trace FILE \[options\][\s\S]*--lead-s S[\s\S]*--frontier/,
  ],
  ['warmpool', ['backtest', '-h'], /^usage: warmpool backtest --trace FILE/],
  ['warmpool', ['bench', 'planner', '--help'], /^usage: warmpool bench planner[\s\S]*--models N/],
  ['warmpool', ['demo', '--help'], /^usage: warmpool demo[\s\S]*--no-pace/],
  ['agent', ['--help'], /^warmpool-agent: warm ONNX models[\s\S]*serve[\s\S]*exit codes:/],
  ['agent', ['warm', '--help'], /^usage: warmpool-agent warm --model FILE\|NAME \[options\][\s\S]*--first-requests N/],
  [
    'agent',
    ['serve', '--help'],
    /^usage: warmpool-agent serve --model FILE\|NAME \[options\][\s\S]*--registrar none\|local\|kubernetes\|aws[\s\S]*--lifecycle-hook HOOK/,
  ],
  ['agent', ['lb', '--help'], /^usage: warmpool-agent lb \[options\][\s\S]*--slow-start-s S/],
  ['loadgen', ['--help'], /^usage: warmpool-loadgen --trace FILE --model M \[options\][\s\S]*--peak-rps R/],
];

describe('--help and --version through the real binaries', () => {
  for (const [bin, args, expected] of HELP_CASES) {
    it(`${bin} ${args.join(' ')} prints its usage and exits 0`, async () => {
      const r = await run(bin, args);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(expected);
      expect(r.out).toMatch(/--version\s+print the version and exit/);
    }, 90_000);
  }

  it('--version prints each package version (also after a command)', async () => {
    expect(await run('warmpool', ['--version'])).toMatchObject({
      code: 0,
      out: `warmpool ${version('services/autoscaler')}\n`,
    });
    expect(await run('warmpool', ['simulate', '--version'])).toMatchObject({
      code: 0,
      out: `warmpool ${version('services/autoscaler')}\n`,
    });
    expect(await run('agent', ['--version'])).toMatchObject({
      code: 0,
      out: `warmpool-agent ${version('services/warmup-agent')}\n`,
    });
    expect(await run('loadgen', ['--version'])).toMatchObject({
      code: 0,
      out: `warmpool-loadgen ${version('packages/loadgen')}\n`,
    });
  }, 120_000);
});

describe('errors: one prefix, the domain words, the README exit codes', () => {
  it('a negative number reaches the range check instead of parseArgs\' "ambiguous" text', async () => {
    const r = await run('warmpool', ['simulate', '--trace', 'x.csv', '--lead-s', '-5']);
    expect(r.code).toBe(2);
    expect(r.err).toBe('warmpool simulate: --lead-s: got "-5", allowed: an integer in [0, 86400]\n');
  }, 60_000);

  it('an option without its value, an unknown option', async () => {
    const a = await run('warmpool', ['start', '--port']);
    expect(a.code).toBe(2);
    expect(a.err).toBe('warmpool start: --port needs a value (N)\n');
    const b = await run('agent', ['serve', '--model', 'm.onnx', '--frobnicate', '--port', '-1']);
    expect(b.code).toBe(2);
    expect(b.err).toMatch(
      /^warmpool-agent serve: invalid serve arguments \(2 problems\):\n {2}- --frobnicate: .*an option of warmpool-agent serve[\s\S]*--port: got "-1", allowed: an integer in \[0, 65535\]/,
    );
    expect(b.err).not.toMatch(/warmpool-agent serve:.*warmpool-agent serve:/);
  }, 60_000);

  it('config validate takes several files and reports every bad one (exit 2)', async () => {
    const good = join(dir, 'good.yaml');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(good, 'models:\n  - { name: m, capacityPerReplicaPerS: 2, target: { modelFile: ./m.onnx } }\n');
    writeFileSync(bad, 'models:\n  - { name: m, capacityPerReplicaPerS: -2, target: { modelFile: ./m.onnx } }\n');
    const ok = await run('warmpool', ['config', 'validate', '--static', good, good]);
    expect(ok.code).toBe(0);
    expect(ok.out.match(/^OK /gm)).toHaveLength(2);
    const r = await run('warmpool', ['config', 'validate', good, bad, '--static']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^OK .*good\.yaml/);
    expect(r.err).toMatch(/^warmpool config validate: invalid .*bad\.yaml[\s\S]*capacityPerReplicaPerS/);
    expect(r.err).not.toMatch(/good\.yaml/);
    const two = await run('warmpool', ['config', 'validate', bad, bad, '--static']);
    expect(two.code).toBe(2);
    expect(two.err).toMatch(
      /^warmpool config validate: 2 of 2 files: 2 problems:\n {2}- invalid .*bad\.yaml[\s\S]*\n {2}- invalid .*bad\.yaml/,
    );
  }, 60_000);

  it('decisions --model for a model the log does not have exits 2 naming the models it has', async () => {
    const log = join(dir, 'decisions.jsonl');
    const rec = {
      kind: 'decision',
      time: '2026-01-01T00:00:00.000Z',
      id: 'a@1',
      model: 'a',
      action: 'scale-up',
      from: 1,
      to: 2,
      reasons: ['forecast'],
      acted: 'enqueued',
    };
    writeFileSync(log, JSON.stringify(rec) + '\n');
    const r = await run('warmpool', ['decisions', '--log', log, '--model', 'nope']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(
      /^warmpool decisions: --model: no records of model "nope" in .*decisions\.jsonl \(models there: a\)/,
    );
    expect((await run('warmpool', ['decisions', '--log', log, '--model', 'a'])).code).toBe(0);
  }, 60_000);
});
