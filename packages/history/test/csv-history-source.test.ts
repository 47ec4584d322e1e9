import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TraceFormatError, ValidationError } from '@warmpool/domain';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CsvHistorySource } from '../src/csv/csv-history-source.js';
import { parseCountCsv } from '../src/index.js';
import { HistoryUnavailableError } from '../src/errors/history-unavailable-error.js';
import { csvOf, expectedSteps, sameSteps, syntheticCounts } from './support/demand-fixture.js';

const EPOCH = 1_750_000_020;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warmpool-csv-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('parseCountCsv', () => {
  it('reads header, first t, bin width and counts (BOM, CRLF, spaces and trailing blank lines allowed)', () => {
    const s = parseCountCsv('\uFEFFT, Count\r\n10,1\r\n15, 2.5\r\n20,0\r\n\r\n', 'a.csv');
    expect([s.startS, s.binS, [...s.counts]]).toEqual([10, 5, [1, 2.5, 0]]);
  });

  it.each([
    ['', 1, 'empty file'],
    ['time,n\n0,1\n1,2\n', 1, 'expected the header "t,count"'],
    ['t,count\n0,1\n', 2, 'at least two data rows'],
    ['t,count\n0,1\n1,2,3\n', 3, 'expected 2 fields'],
    ['t,count\n0,1\n1.5,2\n', 3, 't must be a non-negative integer'],
    ['t,count\n0,1\n1,-2\n', 3, 'count is negative'],
    ['t,count\n0,1\n1,abc\n', 3, 'count is not a number'],
    ['t,count\n0,1\n1,1e999\n', 3, 'not finite'],
    ['t,count\n0,1\n2,1\n1,1\n', 4, 't must increase'],
    ['t,count\n0,1\n2,1\n5,1\n', 4, 'uneven bins'],
    ['t,count\n0,1\n\n2,1\n', 3, 'empty line inside the data'],
  ])('%j → TraceFormatError at line %i', (text, line, problem) => {
    let err: unknown;
    try {
      parseCountCsv(text, 'demand/m.csv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TraceFormatError);
    const e = err as TraceFormatError;
    expect(e.code).toBe('E_TRACE_FORMAT');
    expect([e.file, e.line]).toEqual(['demand/m.csv', line]);
    expect(e.message).toContain(problem);
  });
});

describe('CsvHistorySource', () => {
  it('1-s bins: steps of any length match the raw counts, NaN outside the file', async () => {
    const counts = syntheticCounts(1800);
    await writeFile(join(dir, 'llama.csv'), csvOf(counts));
    const s = new CsvHistorySource({ directory: dir, epochOffsetS: EPOCH });
    for (const stepS of [1, 60, 300]) {
      const from = EPOCH - 2 * stepS;
      const to = EPOCH + 1800 + 2 * stepS;
      expect(sameSteps(await s.read('llama', from, to, stepS), expectedSteps(counts, EPOCH, from, to, stepS))).toEqual(
        [],
      );
    }
  });

  it('coarse bins are spread evenly: split into shorter steps, summed into longer ones, partial steps averaged over the covered part', async () => {
    await writeFile(join(dir, 'llama.csv'), 't,count\n100,600\n160,60\n220,0\n');
    const s = new CsvHistorySource({ directory: dir, epochOffsetS: 1000 });
    const short = await s.read('llama', 1100, 1280, 30);
    expect(short.map((o) => o.meanPerS)).toEqual([10, 10, 1, 1, 0, 0]);
    expect(short.map((o) => o.peakPerS)).toEqual([10, 10, 1, 1, 0, 0]);
    const long = await s.read('llama', 1100, 1280, 120);
    expect(long.map((o) => o.meanPerS)).toEqual([660 / 120, 0]); // second step: only [1220, 1280) covered
    expect(long.map((o) => o.peakPerS)).toEqual([10, 0]);
    const offGrid = await s.read('llama', 1130, 1190, 60);
    expect(offGrid[0]!.meanPerS).toBeCloseTo((30 * 10 + 30 * 1) / 60, 12);
    expect(offGrid[0]!.peakPerS).toBe(10);
  });

  it('a model without a file in the directory has no history (NaN), no throw', async () => {
    const steps = await new CsvHistorySource({ directory: dir }).read('nobody', 0, 120, 60);
    expect(steps.map((o) => o.meanPerS)).toEqual([NaN, NaN]);
  });

  it('an explicit file wins over the directory; a missing explicit file is an error naming it', async () => {
    await writeFile(join(dir, 'llama.csv'), 't,count\n0,60\n60,60\n');
    await writeFile(join(dir, 'other.csv'), 't,count\n0,120\n60,120\n');
    const s = new CsvHistorySource({
      directory: dir,
      files: { llama: join(dir, 'other.csv'), gone: join(dir, 'gone.csv') },
    });
    expect((await s.read('llama', 0, 60, 60))[0]!.meanPerS).toBe(2);
    const err = await rejection(s.read('gone', 0, 60, 60));
    expect(err).toBeInstanceOf(HistoryUnavailableError);
    expect(err.message).toContain(join(dir, 'gone.csv'));
  });

  it('a malformed file → TraceFormatError naming file and line', async () => {
    const file = join(dir, 'llama.csv');
    await writeFile(file, 't,count\n0,1\n1,2\n2,oops\n');
    const err = await rejection(new CsvHistorySource({ directory: dir }).read('llama', 0, 60, 60));
    expect(err).toBeInstanceOf(TraceFormatError);
    expect([(err as TraceFormatError).file, (err as TraceFormatError).line]).toEqual([file, 4]);
  });

  it('re-reads a file when it changes', async () => {
    const file = join(dir, 'llama.csv');
    await writeFile(file, 't,count\n0,60\n60,60\n');
    const s = new CsvHistorySource({ directory: dir });
    expect((await s.read('llama', 0, 60, 60))[0]!.meanPerS).toBe(1);
    await writeFile(file, 't,count\n0,180\n60,180\n');
    await utimes(file, new Date(), new Date(Date.now() + 5000));
    expect((await s.read('llama', 0, 60, 60))[0]!.meanPerS).toBe(3);
  });

  it('bad arguments → ValidationError', async () => {
    expect(await rejection(new CsvHistorySource({ directory: dir }).read('llama', 0, 60, 0))).toBeInstanceOf(
      ValidationError,
    );
  });
});
