import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '@warmpool/domain';
import { main, parseCliArgs, type CliIo } from '../src/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'warmpool-loadgen-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(): CliIo & { outText: () => string; errText: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    outText: () => out.join('\n'),
    errText: () => err.join('\n'),
  };
}

describe('loadgen CLI', () => {
  it('names every bad argument at once', () => {
    let err: unknown;
    try {
      parseCliArgs([
        '--speed',
        '0',
        '--arrival',
        'burst',
        '--shapes',
        '1x8,zz',
        '--scale',
        '2',
        '--peak-rps',
        '3',
        '--bogus',
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => i.path).sort()).toEqual([
      '--arrival',
      '--bogus',
      '--model',
      '--peak-rps',
      '--shapes',
      '--speed',
      '--trace',
    ]);
  });

  it('exit code 2 with the file and line of a bad trace', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 't,count\n0,1\n1,x\n');
    const c = io();
    expect(await main(['--trace', bad, '--model', 'm'], c)).toBe(2);
    expect(c.errText()).toMatch(/E_TRACE_FORMAT: .*bad\.csv:3: count is not a number/);
  });

  it('replays a trace slice against a loopback endpoint, prints JSON and writes the records', async () => {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'x-warmpool-replica': 'r-1' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const trace = join(dir, 'trace.csv');
    writeFileSync(trace, 't,count\n0,100\n10,4\n20,6\n30,100\n');
    const records = join(dir, 'records.jsonl');
    const c = io();
    try {
      const code = await main(
        [
          '--trace',
          trace,
          '--model',
          'm',
          '--url',
          url,
          '--from-s',
          '10',
          '--duration-s',
          '20',
          '--speed',
          '50',
          '--arrival',
          'uniform',
          '--target-ms',
          '5000',
          '--records',
          records,
          '--json',
        ],
        c,
      );
      expect(c.errText()).toBe('');
      expect(code).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const summary = JSON.parse(c.outText()) as Record<string, unknown>;
    expect(summary).toMatchObject({
      requests: 10,
      ok: 10,
      errors: 0,
      planned: 10,
      notSent: 0,
      stoppedBy: 'completed',
      spikeWindows: 0,
      byReplica: { 'r-1': 10 },
    });
    expect(readFileSync(records, 'utf8').trim().split('\n')).toHaveLength(10);
  });

  it('the bin runs the built CLI (help, exit code 0)', () => {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '..', 'bin', 'loadgen.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('warmpool-loadgen');
    expect(r.status).toBe(0);
  });
});
