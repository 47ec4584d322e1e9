/** Anything pino can write a line to (a stream, a test's capture). */
export interface LineWriter {
  write(line: string): unknown;
}

/** Fields the line's head already shows. */
const HEAD = new Set(['level', 'time', 'component', 'model', 'msg']);
/** Longest value printed whole; longer ones are cut (a terminal line stays a line). */
const MAX_VALUE_CHARS = 300;

function scalar(v: unknown): string {
  const s =
    typeof v === 'string' ? v : v === undefined ? 'undefined' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const cut = s.length > MAX_VALUE_CHARS ? `${s.slice(0, MAX_VALUE_CHARS - 3)}...` : s;
  return typeof v === 'string' && (cut === '' || /[\s="]/.test(cut)) ? JSON.stringify(cut) : cut;
}

/** `key=value` pairs, nested objects flattened to dotted keys (no embedded JSON), arrays joined by commas. */
function pairs(prefix: string, value: unknown, out: string[], depth: number): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && depth < 3) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'stack') continue; // an error's stack is for the JSON form
      pairs(prefix ? `${prefix}.${k}` : k, v, out, depth + 1);
    }
    return;
  }
  if (Array.isArray(value) && value.every((x) => x === null || typeof x !== 'object')) {
    out.push(`${prefix}=${scalar(value.map(String).join(','))}`);
    return;
  }
  out.push(`${prefix}=${scalar(value)}`);
}

/** The readable one-line form of a pino JSON line: `2026-01-02 03:04:05Z  model  WARN  component: msg key=value …`. */
export function formatLogLine(json: string): string {
  let r: Record<string, unknown>;
  try {
    r = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.trimEnd();
  }
  const time = typeof r['time'] === 'string' ? r['time'].replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-';
  const model = typeof r['model'] === 'string' ? r['model'] : '-';
  const level = String(r['level'] ?? 'info').toUpperCase();
  const rest: string[] = [];
  for (const [k, v] of Object.entries(r)) if (!HEAD.has(k)) pairs(k, v, rest, 0);
  const msg = String(r['msg'] ?? '').replace(/\s*\n\s*/g, ' | ');
  return `${time}  ${model.padEnd(12)} ${level.padEnd(5)} ${String(r['component'] ?? '-')}: ${msg}${rest.length ? `  ${rest.join(' ')}` : ''}`;
}

/** A pino destination that writes the readable form of each line (for a terminal) to the stream under it. */
export class TextLogDestination implements LineWriter {
  constructor(private readonly inner: LineWriter) {}

  write(line: string): boolean {
    this.inner.write(`${formatLogLine(line)}\n`);
    return true;
  }
}
