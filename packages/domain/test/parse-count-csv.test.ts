import { describe, expect, it } from 'vitest';
import { TraceFormatError } from '../src/errors/trace-format-error.js';
import { parseCountCsv, type ParseCountCsvOptions } from '../src/trace/parse-count-csv.js';

function failure(text: string, options?: ParseCountCsvOptions): TraceFormatError {
  try {
    parseCountCsv(text, 'traces/bad.csv', options);
  } catch (e) {
    expect(e).toBeInstanceOf(TraceFormatError);
    return e as TraceFormatError;
  }
  throw new Error('expected parseCountCsv to throw');
}

describe('parseCountCsv', () => {
  it('reads the first t, the bin width and the counts (BOM, CRLF, header case and spaces, trailing blank lines)', () => {
    const s = parseCountCsv('\uFEFFT, Count\r\n10,1\r\n15, 2.5\r\n20,0\r\n\r\n', 'a.csv');
    expect([s.file, s.startS, s.binS, [...s.counts]]).toEqual(['a.csv', 10, 5, [1, 2.5, 0]]);
    expect(s.counts).toBeInstanceOf(Float64Array);
  });

  it('a single data row needs singleRowBinS, which then is its bin width', () => {
    expect(failure('t,count\n5,7\n').message).toMatch(/at least two data rows/);
    const s = parseCountCsv('t,count\n5,7\n', 'one.csv', { singleRowBinS: 1 });
    expect([s.startS, s.binS, [...s.counts]]).toEqual([5, 1, [7]]);
    expect(parseCountCsv('t,count\n0,1\n60,2\n', 'two.csv', { singleRowBinS: 1 }).binS).toBe(60);
  });

  it.each([
    ['empty file', '', 1, /^traces\/bad\.csv:1: empty file: expected a header line "t,count" and at least two rows$/],
    ['only blank lines', '\n\n', 1, /empty file/],
    ['no header', '0,1\n1,2\n', 1, /expected the header "t,count", got "0,1"/],
    ['header only', 't,count\n', 1, /need at least two data rows/],
    ['one row', 't,count\n0,1\n', 2, /need at least two data rows/],
    ['too many fields', 't,count\n0,1\n1,2,3\n', 3, /expected 2 fields "t,count", got 3: "1,2,3"/],
    ['missing field', 't,count\n0,1\n1\n', 3, /expected 2 fields/],
    ['non-integer t', 't,count\n0,1\n1.5,2\n', 3, /t must be a non-negative integer \(seconds\), got "1.5"/],
    ['negative count', 't,count\n0,1\n1,2\n2,-4\n', 4, /count is negative: "-4" \(allowed: a number >= 0\)/],
    ['non-numeric count', 't,count\n0,1\n1,abc\n', 3, /count is not a number: "abc"/],
    ['infinite count', 't,count\n0,1\n1,1e999\n', 3, /count is not finite: "1e999"/],
    ['unsorted bins', 't,count\n0,1\n60,2\n30,3\n', 4, /t must increase: 30 follows 60 \(unsorted or duplicate bin\)/],
    ['duplicate bin', 't,count\n0,1\n60,2\n60,3\n', 4, /t must increase/],
    [
      'uneven bins',
      't,count\n0,1\n60,2\n120,3\n200,4\n',
      5,
      /uneven bins: step 80 s from t=120 to t=200, but the bin width is 60 s/,
    ],
    ['blank line inside', 't,count\n0,1\n\n2,3\n', 3, /empty line inside the data/],
  ])('%s: TraceFormatError naming the file and line %i', (_name, text, line, pattern) => {
    const e = failure(text);
    expect(e.code).toBe('E_TRACE_FORMAT');
    expect([e.file, e.line]).toEqual(['traces/bad.csv', line]);
    expect(e.message.startsWith(`traces/bad.csv:${line}: `)).toBe(true);
    expect(e.message).toMatch(pattern);
  });

  it('with singleRowBinS: an empty file and a header without rows say so', () => {
    const empty = failure('', { singleRowBinS: 1 });
    expect(empty.message).toBe('traces/bad.csv:1: empty file: expected the header "t,count" and at least one row');
    const headerOnly = failure('t,count\n', { singleRowBinS: 1 });
    expect([headerOnly.line, headerOnly.message]).toEqual([1, 'traces/bad.csv:1: no data rows after the header']);
  });

  it('truncates long text quoted in a message to 60 characters', () => {
    const e = failure(`t,count\n0,1\n1,${'x'.repeat(100)}\n`);
    expect(e.message).toContain(`"${'x'.repeat(57)}..."`);
  });
});
