import { parseCountCsv } from '@warmpool/domain';
import type { Trace } from './trace.js';

/**
 * Parses CSV `t,count` (header required; t integer seconds, strictly increasing by a constant bin width;
 * count a non-negative number) with the domain parser. Any problem throws a TraceFormatError naming the
 * file and the 1-based line.
 */
export function parseTrace(text: string, file: string): Trace {
  const { binS, counts } = parseCountCsv(text, file);
  return { name: file, binS, counts };
}
