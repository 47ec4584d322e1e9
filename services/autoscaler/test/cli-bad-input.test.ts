import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { main } from '../src/main.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'warmpool-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function trace(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    argv,
    (s) => (out += s + '\n'),
    (s) => (err += s + '\n'),
  );
  return { code, out, err };
}

describe('warmpool simulate: malformed traces exit 2 naming file and line', () => {
  const cases: [string, string, RegExp][] = [
    ['no-header.csv', '0,1\n1,2\n2,3\n', /no-header\.csv:1: expected the header "t,count"/],
    ['non-numeric.csv', 't,count\n0,1\n1,abc\n2,3\n', /non-numeric\.csv:3: count is not a number: "abc"/],
    ['negative.csv', 't,count\n0,1\n1,2\n2,-3\n', /negative\.csv:4: count is negative: "-3"/],
    [
      'uneven.csv',
      't,count\n0,1\n60,2\n100,3\n',
      /uneven\.csv:4: uneven bins: step 40 s from t=60 to t=100, but the bin width is 60 s/,
    ],
    ['unsorted.csv', 't,count\n0,1\n2,2\n1,3\n', /unsorted\.csv:4: t must increase: 1 follows 2/],
    ['duplicate.csv', 't,count\n0,1\n1,2\n1,3\n', /duplicate\.csv:4: t must increase/],
    ['empty.csv', '', /empty\.csv:1: empty file/],
    ['header-only.csv', 't,count\n', /header-only\.csv:1: need at least two data rows/],
    ['fields.csv', 't,count\n0,1\n1,2,3\n', /fields\.csv:3: expected 2 fields/],
    ['float-t.csv', 't,count\n0,1\n1.5,2\n', /float-t\.csv:3: t must be a non-negative integer/],
  ];
  for (const [name, text, message] of cases) {
    it(name, async () => {
      const r = await run(['simulate', '--trace', trace(name, text), '--policy', 'static']);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(message);
      expect(r.out).toBe('');
    });
  }

  it('a missing file', async () => {
    const r = await run(['simulate', '--trace', join(dir, 'nope.csv')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/nope\.csv:0: cannot read the trace file \(ENOENT\)/);
  });
});

describe('warmpool: bad flags exit 2', () => {
  it('unknown flag', async () => {
    const r = await run(['simulate', '--trace', 'x.csv', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^warmpool simulate: unknown option --bogus \(see warmpool simulate --help\)/);
  });
  it('bad numeric value', async () => {
    const r = await run(['simulate', '--trace', 'x.csv', '--lead-s', 'soon']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--lead-s: got "soon", allowed: an integer in \[0, 86400\]/);
  });
  it('unknown policy', async () => {
    const r = await run(['simulate', '--trace', 'x.csv', '--policy', 'magic']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--policy: got "magic"/);
  });
  it('missing --trace', async () => {
    const r = await run(['simulate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--trace FILE is required/);
  });
  it('unknown command', async () => {
    const r = await run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown command "frobnicate"/);
  });
  it('lead and per-stage flags together', async () => {
    const r = await run(['simulate', '--trace', 'x.csv', '--lead-s', '45', '--load-s', '10']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/exclude each other/);
  });
});

describe('the installed bin', () => {
  const bin = resolve(__dirname, '../bin/warmpool.js');
  it('exits 2 on a malformed trace, through a real process', () => {
    const p = trace('bad-proc.csv', 't,count\n0,1\n1,x\n');
    const r = spawnSync(process.execPath, [bin, 'simulate', '--trace', p], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/bad-proc\.csv:3: count is not a number/);
  });
  it('prints JSON with the contract fields', () => {
    const p = trace('ok.csv', 't,count\n0,10\n1,10\n2,30\n3,10\n');
    const out = execFileSync(
      process.execPath,
      [bin, 'simulate', '--trace', p, '--policy', 'static', '--json', '--lead-s', '1'],
      { encoding: 'utf8' },
    );
    const rows = JSON.parse(out) as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    for (const k of [
      'trace',
      'policy',
      'totalRequests',
      'violatingRequests',
      'violatingFraction',
      'replicaSeconds',
      'costVsOracle',
      'scaleUps',
      'maxReplicas',
    ]) {
      expect(rows[0]).toHaveProperty(k);
    }
    expect(rows[0]!.totalRequests).toBe(60);
    expect(rows[0]!.replicaSeconds).toBe(80); // 20 replicas x 4 s
  });
});
