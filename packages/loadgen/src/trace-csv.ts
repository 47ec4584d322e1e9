import { readFile } from 'node:fs/promises';
import { TraceFormatError } from '@warmpool/domain';

/** A request-arrival trace: `counts[i]` requests in the bin starting at `startS + i * binS`. */
export interface LoadTrace {
  readonly name: string;
  readonly startS: number;
  readonly binS: number;
  readonly counts: readonly number[];
}

const NUMBER = /^[+]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function clip(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/**
 * Parses CSV `t,count` (header `t,count`; t integer seconds increasing by one bin width; count a
 * number >= 0). A single row is a 1-s bin. Problems throw TraceFormatError with file and line.
 */
export function parseTraceCsv(text: string, file: string): LoadTrace {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  if (lines.length === 0) throw new TraceFormatError(file, 1, 'empty file: expected the header "t,count" and at least one row');
  const header = lines[0]!.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/\s+/g, '');
  if (header !== 't,count') throw new TraceFormatError(file, 1, `expected the header "t,count", got "${clip(lines[0]!)}"`);
  if (lines.length < 2) throw new TraceFormatError(file, 1, 'no data rows after the header');
  const counts: number[] = [];
  let startS = 0;
  let prevT = 0;
  let binS = 1;
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i]!.trim();
    if (line === '') throw new TraceFormatError(file, lineNo, 'empty line inside the data');
    const parts = line.split(',');
    if (parts.length !== 2) throw new TraceFormatError(file, lineNo, `expected 2 fields "t,count", got ${parts.length}: "${clip(line)}"`);
    const tText = parts[0]!.trim();
    const cText = parts[1]!.trim();
    if (!/^\d+$/.test(tText)) throw new TraceFormatError(file, lineNo, `t must be a non-negative integer (seconds), got "${clip(tText)}"`);
    if (!NUMBER.test(cText) || !Number.isFinite(Number(cText))) {
      throw new TraceFormatError(file, lineNo, `count ${cText.startsWith('-') ? 'is negative' : 'is not a number'}: "${clip(cText)}" (allowed: a number >= 0)`);
    }
    const t = Number(tText);
    if (i === 1) startS = t;
    else {
      const step = t - prevT;
      if (step <= 0) throw new TraceFormatError(file, lineNo, `t must increase: ${t} follows ${prevT}`);
      if (i === 2) binS = step;
      else if (step !== binS) throw new TraceFormatError(file, lineNo, `uneven bins: step ${step} s from t=${prevT} to t=${t}, but the bin width is ${binS} s`);
    }
    prevT = t;
    counts.push(Number(cText));
  }
  return { name: file, startS, binS, counts };
}

export async function readTraceCsv(file: string): Promise<LoadTrace> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new TraceFormatError(file, 0, `cannot read the trace: ${(e as Error).message}`, { cause: e });
  }
  return parseTraceCsv(text, file);
}

/** The part of a trace in [fromS, fromS + durationS) of trace time (bins starting in it). */
export function sliceTrace(trace: LoadTrace, fromS: number, durationS: number): LoadTrace {
  const first = Math.max(0, Math.ceil((fromS - trace.startS) / trace.binS));
  const last = Math.min(trace.counts.length, Math.ceil((fromS + durationS - trace.startS) / trace.binS));
  return { ...trace, startS: trace.startS + first * trace.binS, counts: trace.counts.slice(first, Math.max(first, last)) };
}
