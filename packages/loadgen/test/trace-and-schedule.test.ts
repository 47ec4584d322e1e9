import { describe, expect, it } from 'vitest';
import { TraceFormatError, SeededRandom } from '@warmpool/domain';
import { buildArrivals, scaleForPeak } from '../src/arrival-schedule.js';
import { parseShapes, requestBody } from '../src/request-shape.js';
import { parseTraceCsv, sliceTrace } from '../src/trace-csv.js';

function formatError(text: string): TraceFormatError {
  try {
    parseTraceCsv(text, 'x.csv');
  } catch (e) {
    expect(e).toBeInstanceOf(TraceFormatError);
    return e as TraceFormatError;
  }
  throw new Error('expected a TraceFormatError');
}

describe('parseTraceCsv', () => {
  it('reads t,count with the bin width from the first step', () => {
    const t = parseTraceCsv('t,count\r\n60,3\n120,0\n180,2.5\n\n', 'a.csv');
    expect(t).toEqual({ name: 'a.csv', startS: 60, binS: 60, counts: [3, 0, 2.5] });
    expect(parseTraceCsv('t,count\n5,7\n', 'one.csv')).toMatchObject({ startS: 5, binS: 1, counts: [7] });
  });

  it.each([
    ['', 1, /empty file/],
    ['time,n\n0,1\n', 1, /header "t,count"/],
    ['t,count\n', 1, /no data rows/],
    ['t,count\n0,1\n1,-2\n', 3, /negative/],
    ['t,count\n0,1\n1,abc\n', 3, /not a number/],
    ['t,count\n0,1\n1.5,2\n', 3, /non-negative integer/],
    ['t,count\n0,1\n1,2\n1,2\n', 4, /must increase/],
    ['t,count\n0,1\n1,2\n3,2\n', 4, /uneven bins/],
    ['t,count\n0,1\n\n1,2\n', 3, /empty line/],
    ['t,count\n0,1,2\n', 2, /2 fields/],
  ])('names the line of a bad trace: %j', (text, line, message) => {
    const e = formatError(text);
    expect(e.code).toBe('E_TRACE_FORMAT');
    expect(e.line).toBe(line);
    expect(e.message).toMatch(message);
    expect(e.message).toContain('x.csv');
  });

  it('slices a trace by trace seconds', () => {
    const t = parseTraceCsv('t,count\n0,1\n10,2\n20,3\n30,4\n', 't.csv');
    expect(sliceTrace(t, 10, 20)).toMatchObject({ startS: 10, counts: [2, 3] });
    expect(sliceTrace(t, 15, 100)).toMatchObject({ startS: 20, counts: [3, 4] });
  });
});

describe('buildArrivals', () => {
  const trace = parseTraceCsv('t,count\n0,10\n10,0\n20,30\n', 't.csv');

  it('is deterministic for a seed and differs for another seed', () => {
    const opts = { speedX: 10, scale: 1, arrival: 'poisson' as const, seed: 7, shapeCount: 3, maxRequests: 1e6 };
    expect(buildArrivals(trace, opts)).toEqual(buildArrivals(trace, opts));
    expect(buildArrivals(trace, { ...opts, seed: 8 })).not.toEqual(buildArrivals(trace, opts));
  });

  it('uniform: exactly count x scale per bin (integer case), inside the compressed bin, sorted', () => {
    const a = buildArrivals(trace, {
      speedX: 10,
      scale: 2,
      arrival: 'uniform',
      seed: 1,
      shapeCount: 2,
      maxRequests: 1e6,
    });
    expect(a.filter((x) => x.bin === 0)).toHaveLength(20);
    expect(a.filter((x) => x.bin === 1)).toHaveLength(0);
    expect(a.filter((x) => x.bin === 2)).toHaveLength(60);
    for (const x of a) {
      expect(x.atMs).toBeGreaterThanOrEqual(x.bin * 1000);
      expect(x.atMs).toBeLessThan((x.bin + 1) * 1000);
      expect([0, 1]).toContain(x.shape);
    }
    expect(a.map((x) => x.atMs)).toEqual([...a.map((x) => x.atMs)].sort((p, q) => p - q));
    expect(new Set(a.map((x) => x.shape)).size).toBe(2);
  });

  it('uniform: a fractional expectation is rounded by a seeded coin (mean preserved)', () => {
    const flat = parseTraceCsv(`t,count\n${Array.from({ length: 2000 }, (_, i) => `${i},1`).join('\n')}\n`, 'flat.csv');
    const a = buildArrivals(flat, {
      speedX: 1,
      scale: 0.25,
      arrival: 'uniform',
      seed: 3,
      shapeCount: 1,
      maxRequests: 1e6,
    });
    expect(a.length).toBeGreaterThan(400);
    expect(a.length).toBeLessThan(600);
  });

  it('poisson: the count per bin varies around the expectation', () => {
    const flat = parseTraceCsv(`t,count\n${Array.from({ length: 200 }, (_, i) => `${i},20`).join('\n')}\n`, 'flat.csv');
    const a = buildArrivals(flat, {
      speedX: 1,
      scale: 1,
      arrival: 'poisson',
      seed: 5,
      shapeCount: 1,
      maxRequests: 1e6,
    });
    const perBin = Array.from({ length: 200 }, (_, b) => a.filter((x) => x.bin === b).length);
    const mean = perBin.reduce((s, n) => s + n, 0) / perBin.length;
    expect(mean).toBeGreaterThan(18.5);
    expect(mean).toBeLessThan(21.5);
    expect(new Set(perBin).size).toBeGreaterThan(5);
  });

  it('caps the number of requests and scales to a target peak rate', () => {
    expect(
      buildArrivals(trace, { speedX: 1, scale: 1, arrival: 'uniform', seed: 1, shapeCount: 1, maxRequests: 15 }),
    ).toHaveLength(15);
    // busiest bin: 30 requests in 10 s = 3/s; at speed 10 that is 30/s; 6/s needs scale 0.2
    expect(scaleForPeak(trace, 10, 6)).toBeCloseTo(0.2, 10);
  });
});

describe('request shapes', () => {
  it('parses BATCHxSEQ lists and names bad items', () => {
    expect(parseShapes('1x8, 2x16')).toEqual([
      { batch: 1, seq: 8 },
      { batch: 2, seq: 16 },
    ]);
    expect(() => parseShapes('1x8,0x4,abc')).toThrow(/0x4[\s\S]*abc/);
    expect(() => parseShapes('')).toThrow(/BATCHxSEQ/);
  });

  it('builds a body with dims and token ids in range, deterministic for a seed', () => {
    const body = JSON.parse(requestBody({ batch: 2, seq: 3 }, new SeededRandom(1), 10)) as {
      inputs: { input_ids: { dims: number[]; data: number[] } };
    };
    expect(body.inputs.input_ids.dims).toEqual([2, 3]);
    expect(body.inputs.input_ids.data).toHaveLength(6);
    for (const id of body.inputs.input_ids.data) expect(id >= 1 && id < 10).toBe(true);
    expect(requestBody({ batch: 2, seq: 3 }, new SeededRandom(1), 10)).toBe(
      requestBody({ batch: 2, seq: 3 }, new SeededRandom(1), 10),
    );
  });
});
