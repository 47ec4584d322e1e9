import { readFile } from 'node:fs/promises';
import { parseCountCsv, TraceFormatError } from '@warmpool/domain';

/** A request-arrival trace: `counts[i]` requests in the bin starting at `startS + i * binS`. */
export interface LoadTrace {
  readonly name: string;
  readonly startS: number;
  readonly binS: number;
  readonly counts: readonly number[];
}

/**
 * Parses CSV `t,count` (header `t,count`; t integer seconds increasing by one bin width; count a
 * number >= 0) with the domain parser. A single row is a 1-s bin. Problems throw TraceFormatError with file and line.
 */
export function parseTraceCsv(text: string, file: string): LoadTrace {
  const { startS, binS, counts } = parseCountCsv(text, file, { singleRowBinS: 1 });
  return { name: file, startS, binS, counts: Array.from(counts) };
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
  return {
    ...trace,
    startS: trace.startS + first * trace.binS,
    counts: trace.counts.slice(first, Math.max(first, last)),
  };
}
