import { TraceFormatError } from '@warmpool/domain';
import { describe, expect, it } from 'vitest';
import { parseTrace } from '../src/trace/parse-trace.js';

function failure(text: string, file = 'traces/bad.csv'): TraceFormatError {
  try {
    parseTrace(text, file);
  } catch (e) {
    expect(e).toBeInstanceOf(TraceFormatError);
    return e as TraceFormatError;
  }
  throw new Error('expected parseTrace to throw');
}

describe('parseTrace', () => {
  it('reads t,count with its bin width', () => {
    const t = parseTrace('t,count\n0,3\n60,0\n120,7.5\n', 'ok.csv');
    expect(t.binS).toBe(60);
    expect([...t.counts]).toEqual([3, 0, 7.5]);
    expect(t.name).toBe('ok.csv');
  });

  it('accepts CRLF line ends, a BOM and a trailing blank line', () => {
    const t = parseTrace('\uFEFFt,count\r\n0,1\r\n1,2\r\n\r\n', 'crlf.csv');
    expect([...t.counts]).toEqual([1, 2]);
  });

  it.each([
    ['empty file', '', 1, /empty file/],
    ['only blank lines', '\n\n', 1, /empty file/],
    ['no header', '0,1\n1,2\n', 1, /expected the header "t,count"/],
    ['wrong header', 'time,requests\n0,1\n1,2\n', 1, /header/],
    ['header only', 't,count\n', 1, /at least two data rows/],
    ['non-numeric count', 't,count\n0,1\n1,abc\n2,3\n', 3, /count is not a number: "abc"/],
    ['negative count', 't,count\n0,1\n1,2\n2,-4\n', 4, /count is negative: "-4"/],
    ['non-integer t', 't,count\n0,1\n1.5,2\n', 3, /t must be a non-negative integer/],
    ['unsorted bins', 't,count\n0,1\n60,2\n30,3\n', 4, /t must increase: 30 follows 60/],
    ['duplicate bin', 't,count\n0,1\n60,2\n60,3\n', 4, /t must increase/],
    ['uneven bins', 't,count\n0,1\n60,2\n120,3\n200,4\n', 5, /uneven bins: step 80 s .* bin width is 60 s/],
    ['missing field', 't,count\n0,1\n1\n', 3, /expected 2 fields/],
    ['blank line inside', 't,count\n0,1\n\n2,3\n', 3, /empty line inside the data/],
  ])('%s: names the file and line %i', (_name, text, line, pattern) => {
    const e = failure(text);
    expect(e.code).toBe('E_TRACE_FORMAT');
    expect(e.file).toBe('traces/bad.csv');
    expect(e.line).toBe(line);
    expect(e.message.startsWith(`traces/bad.csv:${line}: `)).toBe(true);
    expect(e.message).toMatch(pattern);
  });
});
