import { readFileSync } from 'node:fs';
import { TraceFormatError } from '@warmpool/domain';
import { parseTrace, type Trace } from '@warmpool/sim';

/** Reads and parses a trace file; an unreadable file is a TraceFormatError at line 0 naming the file. */
export function readTraceFile(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const reason = err instanceof Error && 'code' in err ? String((err as NodeJS.ErrnoException).code) : String(err);
    throw new TraceFormatError(file, 0, `cannot read the trace file (${reason})`, { cause: err });
  }
  return parseTrace(text, file);
}
