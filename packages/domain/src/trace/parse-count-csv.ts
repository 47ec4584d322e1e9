import { TraceFormatError } from '../errors/trace-format-error.js';

/** Request counts in evenly spaced bins: bin j covers [startS + j·binS, startS + (j+1)·binS) trace seconds. */
export interface CountSeries {
  /** The file (or label) the text came from, as named in errors. */
  readonly file: string;
  /** `t` of the first row, in trace seconds. */
  readonly startS: number;
  /** Bin width in seconds: the step between the first two rows (`singleRowBinS` when there is one row). */
  readonly binS: number;
  readonly counts: Float64Array;
}

export interface ParseCountCsvOptions {
  /**
   * Accept a trace of a single data row, whose bin is this many seconds wide. Left out (the default),
   * at least two data rows are required: the bin width is the step between them.
   */
  readonly singleRowBinS?: number;
}

const NUMBER = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses the trace format `t,count`: CSV with the header `t,count` (case, spaces, a BOM and CRLF line
 * ends allowed; trailing blank lines ignored), t integer seconds strictly increasing by one constant
 * bin width, count a finite number >= 0. Pure string parsing; any problem throws a TraceFormatError
 * naming the file and the 1-based line.
 */
export function parseCountCsv(text: string, file: string, options: ParseCountCsvOptions = {}): CountSeries {
  const oneRowOk = options.singleRowBinS !== undefined;
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) {
    const expected = oneRowOk
      ? 'the header "t,count" and at least one row'
      : 'a header line "t,count" and at least two rows';
    throw new TraceFormatError(file, 1, `empty file: expected ${expected}`);
  }
  const header = lines[0]!
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/\s+/g, '');
  if (header !== 't,count')
    throw new TraceFormatError(file, 1, `expected the header "t,count", got "${truncate(lines[0]!)}"`);
  if (lines.length < 2 && oneRowOk) throw new TraceFormatError(file, 1, 'no data rows after the header');
  if (lines.length < 3 && !oneRowOk) {
    throw new TraceFormatError(
      file,
      lines.length,
      'need at least two data rows (the bin width is the step between them)',
    );
  }
  const n = lines.length - 1;
  const counts = new Float64Array(n);
  let startS = 0;
  let prevT = 0;
  let binS = options.singleRowBinS ?? 0;
  for (let i = 1; i <= n; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === '') throw new TraceFormatError(file, lineNo, 'empty line inside the data');
    const parts = line.split(',');
    if (parts.length !== 2)
      throw new TraceFormatError(file, lineNo, `expected 2 fields "t,count", got ${parts.length}: "${truncate(line)}"`);
    const tText = parts[0]!.trim();
    const cText = parts[1]!.trim();
    if (!/^\d+$/.test(tText))
      throw new TraceFormatError(file, lineNo, `t must be a non-negative integer (seconds), got "${truncate(tText)}"`);
    if (!NUMBER.test(cText)) {
      const problem = cText.startsWith('-') ? 'is negative' : 'is not a number';
      throw new TraceFormatError(file, lineNo, `count ${problem}: "${truncate(cText)}" (allowed: a number >= 0)`);
    }
    const t = Number(tText);
    const count = Number(cText);
    if (!Number.isFinite(count)) throw new TraceFormatError(file, lineNo, `count is not finite: "${truncate(cText)}"`);
    if (i === 1) {
      startS = t;
    } else {
      const step = t - prevT;
      if (step <= 0)
        throw new TraceFormatError(file, lineNo, `t must increase: ${t} follows ${prevT} (unsorted or duplicate bin)`);
      if (i === 2) binS = step;
      else if (step !== binS) {
        throw new TraceFormatError(
          file,
          lineNo,
          `uneven bins: step ${step} s from t=${prevT} to t=${t}, but the bin width is ${binS} s`,
        );
      }
    }
    prevT = t;
    counts[i - 1] = count;
  }
  return { file, startS, binS, counts };
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
